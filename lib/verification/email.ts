import { CODE_TTL_MS } from "./codes";

export type OutgoingEmail = { to: string; subject: string; text: string; html: string };

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The verification email (text and HTML). The code appears here and nowhere else. */
export function verificationEmail(to: string, username: string, code: string): OutgoingEmail {
  const hours = Math.round(CODE_TTL_MS / 3_600_000);
  const text = [
    `Hello ${username},`,
    "",
    "Please verify your email address with this code:",
    "",
    `    ${code}`,
    "",
    `The code is valid for ${hours} hours; only the most recent code you received works.`,
    "If you did not expect this message, you can ignore it.",
  ].join("\n");
  const html = `<!doctype html>
<html><body style="font-family: system-ui, sans-serif; line-height: 1.5">
<p>Hello ${escapeHtml(username)},</p>
<p>Please verify your email address with this code:</p>
<p style="font-size: 1.5em; font-family: ui-monospace, monospace; letter-spacing: 0.15em"><strong data-verification-code>${escapeHtml(code)}</strong></p>
<p>The code is valid for ${hours} hours; only the most recent code you received works.<br>If you did not expect this message, you can ignore it.</p>
</body></html>`;
  return { to, subject: "Your verification code", text, html };
}
