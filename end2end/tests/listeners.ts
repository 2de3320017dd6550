import * as http from "node:http";
import * as net from "node:net";
import { createHmac } from "node:crypto";

/** A message as a listener received it. */
export interface Received {
  to: string;
  text: string;
}

/** A plain SMTP listener (no TLS, no auth) that accepts every message. */
export async function smtpListener(port: number) {
  const messages: Received[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.setEncoding("utf8");
    let buffer = "";
    let data: string[] | null = null;
    let to = "";
    socket.write("220 e2e ESMTP\r\n");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data) {
          if (line === ".") {
            messages.push({ to, text: decodeMessage(data.join("\n")) });
            data = null;
            socket.write("250 queued\r\n");
          } else {
            data.push(line);
          }
          continue;
        }
        const verb = line.toUpperCase();
        if (verb.startsWith("EHLO") || verb.startsWith("HELO")) socket.write("250-e2e\r\n250 8BITMIME\r\n");
        else if (verb.startsWith("RCPT TO:")) {
          to = line.slice(8).replace(/[<>\s]/g, "");
          socket.write("250 ok\r\n");
        } else if (verb.startsWith("DATA")) {
          data = [];
          socket.write("354 go ahead\r\n");
        } else if (verb.startsWith("QUIT")) {
          socket.end("221 bye\r\n");
        } else socket.write("250 ok\r\n");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  // The server keeps its SMTP connection open for the next message: cut it when done.
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return { messages, close };
}

/** Headers as sent, then the body decoded from its transfer encoding. */
function decodeMessage(raw: string): string {
  const split = raw.indexOf("\n\n");
  const headers = split < 0 ? raw : raw.slice(0, split);
  let body = split < 0 ? "" : raw.slice(split + 2);
  if (/^content-transfer-encoding:\s*base64/im.test(headers)) {
    body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  } else if (/^content-transfer-encoding:\s*quoted-printable/im.test(headers)) {
    const bytes = body.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex) => `%${hex}`);
    body = decodeURIComponent(bytes);
  }
  return `${headers}\n\n${body}`;
}

/** An HTTP listener posing as the SMS provider: checks the signature, keeps the texts. */
export async function smsListener(port: number, secret: string) {
  const messages: Received[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const expected = createHmac("sha256", secret).update(body).digest("hex");
      if (request.headers["x-signature-sha256"] !== expected) {
        response.writeHead(401).end();
        return;
      }
      const { to, text } = JSON.parse(body);
      messages.push({ to, text });
      response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { messages, close };
}

/** Waits for the newest message to `to` and returns the 6-digit code in it. */
export async function codeFrom(messages: Received[], to: string, after = 0): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const found = messages.filter((m) => m.to === to).slice(after);
    // From the message text, not the mail headers (dates and message ids hold digits too).
    const code = found.at(-1)?.text.match(/verification code is (\d{6})/)?.[1];
    if (code) return code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no code arrived for ${to}`);
}
