// Writing responses: JSON objects, Status errors, plain text.
import type { ServerResponse } from 'node:http';
import type { JsonObject } from '../api/json.ts';
import type { ApiError } from '../api/status.ts';

export function sendJson(res: ServerResponse, status: number, body: JsonObject, contentType = 'application/json', warnings: readonly string[] = []): void {
  const text = `${JSON.stringify(body)}\n`;
  // RFC 7234 warn-code 299 with the agent '-', as kube-apiserver sends warnings (kubectl prints them).
  if (warnings.length > 0) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err.code === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="halyard"');
  sendJson(res, err.code, err.toStatus());
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache, private' });
  res.end(text);
}
