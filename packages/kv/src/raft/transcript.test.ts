// Runs every Raft scenario in testdata/*.txt (format: transcript.testutil.ts). One test per file, named
// after the file, which is named after the rule it protects. REWRITE=1 writes actual output back.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTranscript, rewriteTranscript, TranscriptEnv } from './transcript.testutil.ts';

const dir = new URL('./testdata/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('raft transcripts (testdata/*.txt)', () => {
  it('there are transcripts to run', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(file.replace(/\.txt$/, ''), () => {
      const url = new URL(file, dir);
      const text = readFileSync(url, 'utf8');
      const env = new TranscriptEnv();
      const actual: string[] = [];
      for (const block of parseTranscript(text)) {
        let out: string;
        try {
          out = env.run(block.command);
        } catch (err) {
          throw new Error(`${file}:${block.line}: ${block.command}: ${err instanceof Error ? err.message : String(err)}`);
        }
        actual.push(out);
        if (process.env.REWRITE !== '1') expect(out, `${file}:${block.line}: ${block.command}`).toBe(block.expected);
      }
      if (process.env.REWRITE === '1') writeFileSync(url, rewriteTranscript(text, actual));
    });
  }
});
