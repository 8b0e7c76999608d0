/** The data dictionary: QuickFIX XML loader, read-only model, validation and reject reasons. */
export * from "./model.ts";
export * from "./reject.ts";
export * from "./loader.ts";
export * from "./validate.ts";
export { FormatClass, formatClassOf, formatOk } from "./formats.ts";
export { parseXml, type XmlElement, XmlSyntaxError } from "./xml.ts";
