#!/usr/bin/python3
"""Makes extra-vectors.json: second-wave password vectors at non-default parameters and edge-case
passwords (unicode, long, characters that are separators in some layouts), each made by the tool
that writes the form in the wild. Run with Debian's python3 (it sees python3-passlib, -django,
-werkzeug, -argon2, -bcrypt), from the repository root:

    /usr/bin/python3 lib/passwords/testdata/make-vectors.py > lib/passwords/testdata/extra-vectors.json

Needs mkpasswd (whois), htpasswd (apache2-utils), node with the argon2 and firebase-scrypt packages.
"""
import json
import subprocess

from passlib.hash import atlassian_pbkdf2_sha1, pbkdf2_sha1, pbkdf2_sha256, pbkdf2_sha512, phpass, scrypt, sha1_crypt
import django
from django.conf import settings

settings.configure(PASSWORD_HASHERS=[
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.SHA1PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher",
    "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
])
django.setup()
from django.contrib.auth import hashers  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

PASSWORDS = [
    "correct horse battery staple",
    "Pässwörd-β9 with spaces",
    "🔑 ключ 密码 $:{}",
    "L" * 100,
    "x",
]
# bcrypt reads at most 72 bytes: Django's bcrypt_sha256 exists to lift that; plain bcrypt truncates.
LONG = "long-" + "é" * 60 + "-tail"

out = []


def add(form, encoded, password, made_by, note=""):
    out.append({"form": form, "encoded": encoded, "password": password, "madeBy": made_by, "note": note})


def mkpasswd(method, password, rounds=None):
    args = ["mkpasswd", "-s", "-m", method] + (["-R", str(rounds)] if rounds else [])
    return subprocess.run(args, input=password.encode(), capture_output=True, check=True).stdout.decode().strip()


for pw in PASSWORDS:
    add("$y$", mkpasswd("yescrypt", pw, 1), pw, "mkpasswd (libxcrypt)", "-R 1")
    add("$gy$", mkpasswd("gost-yescrypt", pw, 3), pw, "mkpasswd (libxcrypt)", "-R 3")
    add("$7$", mkpasswd("scrypt", pw, 6), pw, "mkpasswd (libxcrypt)", "-R 6")
    apr = subprocess.run(["htpasswd", "-nbm", "u", pw], capture_output=True, check=True).stdout.decode().strip().split(":", 1)[1]
    add("$apr1$", apr, pw, "htpasswd -m")
    add("$P$", phpass.using(rounds=8).hash(pw), pw, "passlib phpass", "rounds 2^8")
    add("$H$", phpass.using(rounds=11, ident="H").hash(pw), pw, "passlib phpass", "rounds 2^11")
    add("$sha1$", sha1_crypt.using(rounds=1000, salt_size=64).hash(pw), pw, "passlib sha1_crypt", "1000 rounds, 64-character salt")
    add("$pbkdf2$", pbkdf2_sha1.using(rounds=1000, salt_size=4).hash(pw), pw, "passlib pbkdf2_sha1", "1000 rounds, 4-byte salt")
    add("$pbkdf2-sha256$", pbkdf2_sha256.using(rounds=1000, salt_size=32).hash(pw), pw, "passlib pbkdf2_sha256", "1000 rounds, 32-byte salt")
    add("$pbkdf2-sha512$", pbkdf2_sha512.using(rounds=1000).hash(pw), pw, "passlib pbkdf2_sha512", "1000 rounds")
    add("{PKCS5S2}", atlassian_pbkdf2_sha1.hash(pw), pw, "passlib atlassian_pbkdf2_sha1")
    add("$scrypt$", scrypt.using(rounds=10, block_size=4, parallelism=2).hash(pw), pw, "passlib scrypt", "ln=10, r=4, p=2")
    add("sha1$", hashers.make_password(pw, hasher="sha1"), pw, "Django 3.2 SHA1PasswordHasher")
    add("md5$", hashers.make_password(pw, hasher="md5"), pw, "Django 3.2 MD5PasswordHasher")
    add("sha1$", hashers.make_password(pw, hasher="unsalted_sha1"), pw, "Django 3.2 UnsaltedSHA1PasswordHasher", "empty salt")
    add("pbkdf2:sha256", generate_password_hash(pw, "pbkdf2:sha256:1000"), pw, "Werkzeug 2.2", "1000 iterations")
    add("pbkdf2:sha512", generate_password_hash(pw, "pbkdf2:sha512:2000", salt_length=8), pw, "Werkzeug 2.2", "2000 iterations, 8-character salt")
    add("pbkdf2:sha1", generate_password_hash(pw, "pbkdf2:sha1:1000"), pw, "Werkzeug 2.2", "SHA-1")

# Django's hashers at other costs.
class CheapArgon2(hashers.Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 4096
    parallelism = 2


class CheapBcryptSha256(hashers.BCryptSHA256PasswordHasher):
    rounds = 5


class CheapBcrypt(hashers.BCryptPasswordHasher):
    rounds = 5


for pw in PASSWORDS[:3] + [LONG]:
    add("argon2$", CheapArgon2().encode(pw, CheapArgon2().salt()), pw, "Django 3.2 Argon2PasswordHasher", "t=1, m=4096, p=2")
    add("bcrypt_sha256$", CheapBcryptSha256().encode(pw, CheapBcryptSha256().salt()), pw, "Django 3.2 BCryptSHA256PasswordHasher", "cost 5")
    add("bcrypt$", CheapBcrypt().encode(pw, CheapBcrypt().salt()), pw, "Django 3.2 BCryptPasswordHasher", "cost 5")

# Node-made: argon2d at other parameters, Firebase scrypt at other parameters and key sizes.
node = r"""
const argon2 = require("argon2");
const { FirebaseScrypt } = require("firebase-scrypt");
const { randomBytes } = require("node:crypto");
const pws = JSON.parse(process.argv[1]);
(async () => {
  const out = [];
  for (const pw of pws) {
    out.push({ form: "$argon2d$", encoded: await argon2.hash(pw, { type: argon2.argon2d, memoryCost: 1024, timeCost: 3, parallelism: 2 }), password: pw, madeBy: "node argon2", note: "m=1024, t=3, p=2" });
    for (const [memCost, rounds, keyBytes] of [[10, 4, 64], [12, 8, 32]]) {
      const saltSeparator = randomBytes(2).toString("base64"), signerKey = randomBytes(keyBytes).toString("base64");
      const salt = randomBytes(12).toString("base64");
      const hash = await new FirebaseScrypt({ memCost, rounds, saltSeparator, signerKey }).hash(pw, salt);
      const note = `mem_cost ${memCost}, rounds ${rounds}, ${keyBytes}-byte signer key`;
      out.push({ form: "$firescrypt$", encoded: `$firescrypt$ln=${memCost},r=${rounds},p=1$${salt}$${hash}$${saltSeparator}$${signerKey}`, password: pw, madeBy: "npm firebase-scrypt (Ory Kratos layout)", note });
      out.push({ form: "$fbscrypt$", encoded: `$fbscrypt$v=1,n=${memCost},r=${rounds},p=1,ss=${saltSeparator},sk=${signerKey}$${salt}$${hash}`, password: pw, madeBy: "npm firebase-scrypt (Supabase layout)", note });
    }
  }
  console.log(JSON.stringify(out));
})();
"""
made = subprocess.run(["node", "-e", node, json.dumps(PASSWORDS)], capture_output=True, check=True).stdout
out.extend(json.loads(made))

print(json.dumps({
    "about": "Extra second-wave vectors at non-default parameters and edge-case passwords, made by make-vectors.py beside this file; each matches its password and no other.",
    "vectors": out,
}, indent=1, ensure_ascii=False))
