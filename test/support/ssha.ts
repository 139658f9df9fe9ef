import { createHash, randomBytes } from "node:crypto";

/** OpenLDAP's {SSHA}: base64(sha1(password + salt) + salt), as slappasswd makes it. */
export function ssha(password: string, salt: Buffer = randomBytes(8)): string {
  const digest = createHash("sha1").update(password).update(salt).digest();
  return "{SSHA}" + Buffer.concat([digest, salt]).toString("base64");
}
