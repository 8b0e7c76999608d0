/** A throwaway certificate authority for TLS tests (openssl from the system). */

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const r = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" }).output();
  if (!r.success) throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
}

/** A CA (CA:TRUE) and a function issuing leaves (CA:FALSE, with subjectAltName) from it; EC P-256 keys. */
export async function makeCa(dir: string, name: string) {
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  return async (leaf: string, cn: string, san: string) => {
    await openssl(
      dir,
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${leaf}.key`,
      "-out",
      `${leaf}.csr`,
      "-subj",
      `/CN=${cn}`,
    );
    await Deno.writeTextFile(
      `${dir}/${leaf}.ext`,
      `basicConstraints=critical,CA:FALSE\nsubjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    await openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${leaf}.csr`,
      "-CA",
      `${name}.crt`,
      "-CAkey",
      `${name}.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${leaf}.crt`,
      "-extfile",
      `${leaf}.ext`,
    );
  };
}

/**
 * A CA and a server certificate for `san` (e.g. "DNS:venue.fixg.test") issued in `dir`, read back as PEM
 * text: `ca` to verify with, `cert` and `key` to serve.
 */
export async function serverPems(
  dir: string,
  san: string,
): Promise<{ ca: string; cert: string; key: string }> {
  const issue = await makeCa(dir, "ca");
  await issue("server", "venue", san);
  const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
  const [ca, cert, key] = await Promise.all([read("ca.crt"), read("server.crt"), read("server.key")]);
  return { ca, cert, key };
}
