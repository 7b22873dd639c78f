// kube-apiserver's static token file (--token-auth-file): CSV lines `token,user,uid[,"group1,group2"]`.
// Blank lines and lines starting with '#' are skipped. A malformed file stops the server at start-up.

export interface TokenUser {
  readonly name: string;
  readonly uid: string;
  readonly groups: readonly string[];
}

export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
  readonly code = 'BadTokenFile';
}

/** Bound on entries, so a wrong file (a huge log, say) fails clearly instead of filling memory. */
export const TOKEN_FILE_ENTRIES_MAX = 100_000;

/** Parses the file's text into token → user. */
export function parseTokenFile(text: string, fileName = 'token file'): Map<string, TokenUser> {
  const out = new Map<string, TokenUser>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const fields = splitCsvLine(line, () => new TokenFileError(`${fileName} line ${i + 1}: unterminated quote`));
    if (fields.length < 3) throw new TokenFileError(`${fileName} line ${i + 1}: expected token,user,uid[,groups], got ${fields.length} field(s)`);
    const [token, name, uid, groups] = fields.map((f) => f.trim());
    if (token === '' || name === '') throw new TokenFileError(`${fileName} line ${i + 1}: token and user name must not be empty`);
    if (out.has(token!)) throw new TokenFileError(`${fileName} line ${i + 1}: duplicate token`);
    if (out.size >= TOKEN_FILE_ENTRIES_MAX) throw new TokenFileError(`${fileName}: more than ${TOKEN_FILE_ENTRIES_MAX} tokens`);
    out.set(token!, { name: name!, uid: uid ?? '', groups: groups === undefined || groups === '' ? [] : groups.split(',').map((g) => g.trim()).filter((g) => g !== '') });
  });
  return out;
}

/** RFC 4180-style fields: commas separate, double quotes group (a doubled quote inside is a literal quote). */
function splitCsvLine(line: string, unterminated: () => Error): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw unterminated();
  fields.push(cur);
  return fields;
}
