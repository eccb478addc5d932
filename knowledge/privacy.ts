/** Words that, next to a number, mean the user may be typing a secret. */
// Not a bare "code": "error code 1002" and "ODS code" are not secrets.
const secretWords = /\b(pass\s?code|passcode|pin|password|unlock code|security code|verification code|one time code|my code|the code|new code)\b/i;
const shortNumber = /(?<![\w-])\d{4,8}(?![\w-])/;

/**
 * Whether a message looks like it carries a passcode or an unlock code ("my new passcode is 246810").
 * The assistant never asks for these, so it warns and never repeats the message.
 */
export function mentionsSecret(text: string): boolean {
  return secretWords.test(text) && shortNumber.test(text);
}

/** A question as it may be stored for the RA team's report: numbers, email addresses and phone numbers removed. */
export function redact(text: string): string {
  // Cut first: the patterns below would be slow on a 250 KB message.
  return text
    .slice(0, 500)
    .replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '[email]')
    .replace(/\+?\d[\d\s-]{6,}\d/g, '[number]')
    .replace(/\d{4,}/g, '[number]');
}
