/** fixg's version, printed by `fixg --version` and sent nowhere else. */
export const VERSION = "0.1.0";
