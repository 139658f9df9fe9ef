import { describe, expect, it } from "vitest";

import { classifyPassword } from "../classify";
import { describeVectors, expectRefused } from "../testdata/family-tests";
import { vectorsOf } from "../testdata/vectors";

describeVectors(vectorsOf("$7$"), () => "SCRYPT-CRYPT", { cryptWrapped: true });
describeVectors(vectorsOf("$scrypt$"), () => "PASSLIB-SCRYPT");
describeVectors(vectorsOf("$firescrypt$", "$fbscrypt$"), () => "FIREBASE-SCRYPT");

const crypt7 = vectorsOf("$7$")[0]!.encoded;
const kratos = vectorsOf("$firescrypt$")[0]!.encoded;
const supabase = vectorsOf("$fbscrypt$")[0]!.encoded;

describe("$7$ (libxcrypt scrypt)", () => {
  it("admits 1 GiB (N = 2^18, r = 32: mkpasswd -m scrypt -R 11) and refuses 2 GiB, naming the limit", async () => {
    expect(crypt7.slice(0, 5)).toBe("$7$CU");
    expect(refusalOrNull(crypt7.replace("$7$C", "$7$G"))).toBeNull();
    await expectRefused(crypt7.replace("$7$C", "$7$H"), "PASSWORD_MAX_SCRYPT_MEMORY_MIB");
    // p is five digits, little-endian: "H...." is 19.
    await expectRefused(crypt7.replace("U..../....", "U....H...."), "PASSWORD_MAX_SCRYPT_PARALLELISM");
  });

  it.each([
    [crypt7.replace("$7$C", "$7$."), "out of range"],
    [crypt7.replace("U..../....", "......../."), "out of range"],
    [crypt7.slice(0, -1), "43-character hash"],
    [crypt7.slice(0, -1) + "z", "not valid crypt64"],
    ["$7$CU..../....$" + "a".repeat(43), "must have the form"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });
});

describe("$scrypt$ (passlib)", () => {
  const passlib = vectorsOf("$scrypt$")[0]!.encoded;
  it("admits ln=20 with r=8 (1 GiB) and refuses ln=21, and p over 16", async () => {
    expect(refusalOrNull(passlib.replace("ln=14", "ln=20"))).toBeNull();
    await expectRefused(passlib.replace("ln=14", "ln=21"), "2048 MiB");
    await expectRefused(passlib.replace("p=1", "p=17"), "PASSWORD_MAX_SCRYPT_PARALLELISM");
  });

  it.each([
    [passlib.replace("ln=14,r=8,p=1", "r=8,ln=14,p=1"), "must have the form"],
    [passlib.replace("ln=14", "ln=014"), "out of range"],
    [passlib.replace("ln=14", "ln=0"), "out of range"],
    [passlib.replace("r=8", "r=0"), "out of range"],
    [passlib + "=", "base64 without padding"],
    [passlib.slice(0, passlib.lastIndexOf("$") + 9), "16 to 64 bytes"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });
});

describe("Firebase scrypt", () => {
  it("reads the same hash from both published layouts", () => {
    const fromKratos = kratos.split("$");
    expect(supabase).toContain(`$${fromKratos[3]}$${fromKratos[4]}`);
    expect(supabase).toContain(`ss=${fromKratos[5]},sk=${fromKratos[6]}`);
  });

  it("refuses memory over the limit and any p but 1", async () => {
    await expectRefused(kratos.replace("ln=14", "ln=21"), "PASSWORD_MAX_SCRYPT_MEMORY_MIB");
    await expectRefused(supabase.replace("n=14", "n=21"), "PASSWORD_MAX_SCRYPT_MEMORY_MIB");
    await expectRefused(kratos.replace("p=1", "p=2"), "always uses p=1");
  });

  it.each([
    [kratos.split("$").slice(0, 6).join("$"), "Firebase scrypt values have the form"],
    [supabase.replace("v=1", "v=2"), "Firebase scrypt values have the form"],
    [supabase.replace(",ss=", ",ss=x,ss="), "Firebase scrypt values have the form"],
    [supabase.replace("sk=", "signer="), "Firebase scrypt values have the form"],
    [kratos.replace("$Bw==$", "$B*==$"), "standard base64"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });

  it("refuses a hash that is not as long as the signer key", async () => {
    const parts = kratos.split("$");
    parts[4] = Buffer.from(parts[4]!, "base64").subarray(0, 32).toString("base64");
    await expectRefused(parts.join("$"), "as long as the signer key");
  });
});

function refusalOrNull(value: string): string | null {
  const result = classifyPassword(value);
  return result.kind === "invalid" ? result.message : null;
}
