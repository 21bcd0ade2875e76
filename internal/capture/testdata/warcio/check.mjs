// check.mjs reads WARC files with webrecorder's warcio.js, a standard WARC
// reader, and verifies every record the way a replay or QA tool would.
//
//   node check.mjs FILE.warc.gz...
//
// For every record it prints one JSON line ("kind":"record") with what
// warcio.js read (type, target URI, WARC-Date, record id, content length,
// digest headers, HTTP status) and whether each check passed; then the CDX
// lines warcio.js's own indexer (the one behind pywb-style replay) makes of
// each file ("kind":"cdx"); then one "kind":"summary" line. Checks:
//
//   - the file parses to the end, each record in its own gzip member
//     (record offsets and lengths tile the file, and each record's bytes
//     gunzip whole with node:zlib: warcio.js itself silently drops a
//     truncated last member), and warcio.js prints no warning (it warns on
//     a Content-Length that does not match the block);
//   - WARC/1.1, a warcinfo record first, WARC-Date in WARC 1.1 form, a
//     <urn:uuid:...> WARC-Record-ID unique in the file, WARC-Concurrent-To
//     and WARC-Refers-To naming records of the same file;
//   - WARC-Target-URI is an absolute RFC 3986 URI (no space, no raw
//     non-ASCII byte, valid %-escapes, no fragment): CDX lines are space
//     separated, and replay looks captures up by that URI;
//   - WARC-Block-Digest is sha1:<base32> of the block (read raw);
//   - a request record's request line is "METHOD path HTTP/x.y" and the
//     path warcio.js reads from it is the path and query of the target;
//   - for request and response records, warcio.js parses the HTTP head;
//     for responses WARC-Payload-Digest is sha1:<base32> of the payload
//     after that head, Counternet-Payload-SHA256 its hex SHA-256, and
//     every Content-Encoding or Transfer-Encoding the archived head declares
//     is one the payload is really in (warcio.js decodes what it can for
//     replay and silently passes through what it cannot, so a decoded body
//     left labelled gzip would replay as garbage without this check).
//
// The digests are computed here with node:crypto, independently of the Go
// writer. It exits 1 when any check fails or a file does not parse.
import { createHash } from "node:crypto";
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { CDXIndexer, WARCParser } from "warcio";

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// base32 is RFC 4648 base32 with padding (what WARC sha1 digests use).
function base32(buf) {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += B32[(value << (5 - bits)) & 31];
  }
  while (out.length % 8 !== 0) {
    out += "=";
  }
  return out;
}

function sha1Label(bytes) {
  return "sha1:" + base32(createHash("sha1").update(bytes).digest());
}

function sha256Hex(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

// URI is an absolute URI in RFC 3986's characters with valid %-escapes
// and no fragment.
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:([A-Za-z0-9\-._~:/?[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;

// requestTarget is what the request line of a fetch of uri names.
function requestTarget(uri) {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^#]*)/.exec(uri || "");
  if (!m) return null;
  return m[1] === "" ? "/" : m[1].startsWith("?") ? "/" + m[1] : m[1];
}

const WARC_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const RECORD_ID = /^<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}>$/;

// warcio.js reports framing trouble (a Content-Length that does not match
// the block) with console.warn and reads on: count those as failures.
const warnings = [];
console.warn = (...args) => warnings.push(args.map(String).join(" "));

// encodingError says why payload is not in the encodings an archived HTTP
// head declares, or returns null when it is (or declares none).
function encodingError(payload, contentEncoding, transferEncoding) {
  let body = Buffer.from(payload);
  for (const te of (transferEncoding || "").split(",").map((v) => v.trim().toLowerCase()).filter(Boolean).reverse()) {
    if (te !== "chunked") return `Transfer-Encoding ${te} declared`;
    const out = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf("\r\n", at);
      const size = eol < 0 ? NaN : parseInt(body.subarray(at, eol).toString("latin1").split(";")[0], 16);
      if (!Number.isInteger(size) || size < 0) return "Transfer-Encoding chunked declared, payload is not chunked";
      at = eol + 2;
      if (size === 0) break;
      if (body.length < at + size + 2) return "Transfer-Encoding chunked declared, payload is not chunked";
      out.push(body.subarray(at, at + size));
      at += size + 2;
    }
    body = Buffer.concat(out);
  }
  for (const ce of (contentEncoding || "").split(",").map((v) => v.trim().toLowerCase()).filter(Boolean).reverse()) {
    try {
      switch (ce) {
        case "identity":
          break;
        case "gzip":
        case "x-gzip":
          body = gunzipSync(body);
          break;
        case "deflate":
          try {
            body = inflateSync(body);
          } catch {
            body = inflateRawSync(body);
          }
          break;
        case "br":
          body = brotliDecompressSync(body);
          break;
        default:
          return `Content-Encoding ${ce} declared, not checkable`;
      }
    } catch (err) {
      return `Content-Encoding ${ce} declared, payload does not decode: ${err.message}`;
    }
  }
  return null;
}

// rawPass reads every record's block unparsed: framing and block digests.
// It keeps headers and digests, not blocks, so large files fit in memory.
async function rawPass(file) {
  const parser = new WARCParser(createReadStream(file), { parseHttp: false });
  const out = [];
  for await (const record of parser) {
    const block = await record.readFully(false);
    out.push({
      offset: parser.offset,
      compressed: Boolean(parser._reader.compressed),
      version: record.warcHeaders.protocol,
      headers: record.warcHeaders.headers,
      blockLength: block.length,
      blockDigest: sha1Label(block),
    });
  }
  // Offsets and lengths are known once the reader moved past a record.
  for (let i = 0; i < out.length; i++) {
    out[i].length = (i + 1 < out.length ? out[i + 1].offset : statSync(file).size) - out[i].offset;
  }
  return out;
}

// httpPass reads the records as replay tools do: HTTP head parsed, payload
// read raw and then decoded.
async function httpPass(file) {
  const parser = new WARCParser(createReadStream(file));
  const out = [];
  for await (const record of parser) {
    const entry = { id: record.warcHeader("WARC-Record-ID"), http: null };
    if (record.httpHeaders) {
      const payload = await record.readFully(false);
      // What a replay tool serves: encodings undone where warcio.js can.
      await record.readFully(true);
      const headers = record.httpHeaders.headers;
      entry.http = {
        statusline: record.httpHeaders.statusline,
        status: record.httpHeaders.statusCode,
        requestPath: record.warcType === "request" ? record.httpHeaders.requestPath : null,
        contentLength: headers.get("Content-Length"),
        payloadLength: payload.length,
        payloadSHA1: sha1Label(payload),
        payloadSHA256: sha256Hex(payload),
        encodingError: encodingError(payload, headers.get("Content-Encoding"), headers.get("Transfer-Encoding")),
      };
    } else {
      await record.skipFully();
    }
    out.push(entry);
  }
  return out;
}

async function cdxPass(file) {
  const indexer = new CDXIndexer({ format: "json" });
  const out = [];
  for await (const cdx of indexer.iterIndex([{ filename: basename(file), reader: createReadStream(file) }])) {
    out.push(cdx);
  }
  return out;
}

async function checkFile(file) {
  const lines = [];
  let failed = 0;
  const warnedBefore = warnings.length;
  const raw = await rawPass(file);
  const http = await httpPass(file);
  const cdx = await cdxPass(file);
  const fileErrors = [];
  if (raw.length === 0) {
    fileErrors.push("no records");
  }
  if (http.length !== raw.length) {
    fileErrors.push(`raw pass read ${raw.length} records, http pass ${http.length}`);
  }
  if (raw.length > 0 && raw[0].offset !== 0) {
    fileErrors.push(`first record at offset ${raw[0].offset}`);
  }
  const ids = new Map();
  for (const r of raw) {
    const id = r.headers.get("WARC-Record-ID");
    ids.set(id, (ids.get(id) || 0) + 1);
  }
  for (const [i, r] of raw.entries()) {
    const h = (name) => r.headers.get(name);
    const errors = [];
    const type = h("WARC-Type");
    const id = h("WARC-Record-ID");
    const date = h("WARC-Date");
    const contentLength = Number(h("Content-Length"));
    if (!r.compressed) errors.push("record is not gzip-compressed");
    if (r.version !== "WARC/1.1") errors.push(`version ${JSON.stringify(r.version)}`);
    if (i === 0 && type !== "warcinfo") errors.push("first record is not warcinfo");
    if (!WARC_DATE.test(date || "")) errors.push(`bad WARC-Date ${JSON.stringify(date)}`);
    if (!RECORD_ID.test(id || "")) errors.push(`bad WARC-Record-ID ${JSON.stringify(id)}`);
    if (ids.get(id) > 1) errors.push("WARC-Record-ID repeated in the file");
    if (!Number.isInteger(contentLength) || contentLength !== r.blockLength) {
      errors.push(`Content-Length ${h("Content-Length")} but block is ${r.blockLength} bytes`);
    }
    for (const name of ["WARC-Concurrent-To", "WARC-Refers-To"]) {
      const v = h(name);
      if (v && !ids.has(v)) errors.push(`${name} ${v} names no record of this file`);
    }
    const blockDigest = h("WARC-Block-Digest");
    const blockOK = blockDigest === r.blockDigest;
    if (!blockOK) errors.push(`WARC-Block-Digest ${blockDigest} != ${r.blockDigest}`);
    const target = h("WARC-Target-URI");
    if (type !== "warcinfo" && !URI.test(target || "")) {
      errors.push(`WARC-Target-URI ${JSON.stringify(target)} is not an absolute URI without fragment`);
    }

    const hp = http[i];
    if (hp && hp.id !== id) errors.push(`http pass read record ${hp.id} here`);
    const payloadDigest = h("WARC-Payload-Digest") || null;
    const sha256Header = h("Counternet-Payload-SHA256") || null;
    let payloadOK = null;
    let sha256OK = null;
    let encodingOK = null;
    let status = null;
    let payloadLength = null;
    if (type === "request" || type === "response") {
      if (!hp || !hp.http) {
        errors.push("warcio.js found no HTTP head");
      } else {
        const hh = hp.http;
        payloadLength = hh.payloadLength;
        status = type === "response" ? hp.http.status : null;
        const line = hp.http.statusline.split(" ");
        if (type === "request") {
          if (line.length !== 3 || !/^[A-Z]+$/.test(line[0]) || !/^HTTP\/\d\.\d$/.test(line[2])) {
            errors.push(`bad HTTP request line ${JSON.stringify(hp.http.statusline)}`);
          }
          if (hp.http.requestPath !== requestTarget(target)) {
            errors.push(`request line names ${JSON.stringify(hp.http.requestPath)}, target URI ${JSON.stringify(target)}`);
          }
        }
        if (type === "response") {
          if (!/^HTTP\/\d\.\d$/.test(line[0])) {
            errors.push(`bad HTTP status line ${JSON.stringify(hp.http.statusline)}`);
          }
          if (!Number.isInteger(status) || status < 100 || status > 999) {
            errors.push(`bad HTTP status line ${JSON.stringify(hp.http.statusline)}`);
          }
          if (hh.contentLength !== null && Number(hh.contentLength) !== hh.payloadLength) {
            errors.push(`HTTP Content-Length ${hh.contentLength} but payload is ${hh.payloadLength} bytes`);
          }
          payloadOK = payloadDigest === hh.payloadSHA1;
          if (!payloadOK) errors.push(`WARC-Payload-Digest ${payloadDigest} != ${hh.payloadSHA1}`);
          sha256OK = sha256Header === hh.payloadSHA256;
          if (!sha256OK) errors.push(`Counternet-Payload-SHA256 ${sha256Header} != ${hh.payloadSHA256}`);
          encodingOK = hh.encodingError === null;
          if (!encodingOK) errors.push(hh.encodingError);
        } else if (payloadDigest && payloadDigest !== hh.payloadSHA1) {
          payloadOK = false;
          errors.push(`WARC-Payload-Digest ${payloadDigest} != ${hh.payloadSHA1}`);
        }
      }
    }
    if (errors.length) failed++;
    lines.push({
      kind: "record",
      file, // the path as given: two sources' directories can hold files of the same name
      offset: r.offset,
      length: r.length,
      type,
      target_uri: h("WARC-Target-URI") || null,
      date,
      record_id: id,
      concurrent_to: h("WARC-Concurrent-To") || null,
      refers_to: h("WARC-Refers-To") || null,
      content_type: h("Content-Type") || null,
      content_length: contentLength,
      block_digest: blockDigest || null,
      payload_digest: payloadDigest,
      payload_sha256: sha256Header,
      truncated: h("WARC-Truncated") || null,
      http_status: status,
      payload_length: payloadLength,
      block_ok: blockOK,
      payload_ok: payloadOK,
      sha256_ok: sha256OK,
      encoding_ok: encodingOK,
      errors,
    });
  }
  // The records must tile the file: one whole gzip member each, nothing
  // between, nothing after.
  let end = 0;
  const fd = openSync(file, "r");
  try {
    for (const r of raw) {
      if (r.offset !== end) fileErrors.push(`gap or overlap before offset ${r.offset}`);
      end = r.offset + r.length;
      const member = Buffer.alloc(r.length);
      readSync(fd, member, 0, r.length, r.offset);
      try {
        if (!gunzipSync(member).subarray(0, 10).equals(Buffer.from("WARC/1.1\r\n"))) {
          fileErrors.push(`record at ${r.offset} does not start its gzip member`);
        }
      } catch (err) {
        fileErrors.push(`record at ${r.offset}: its ${r.length} bytes are not whole gzip: ${err.message}`);
      }
    }
  } finally {
    closeSync(fd);
  }
  const byOffset = new Map(lines.map((l) => [l.offset, l]));
  for (const c of cdx) {
    lines.push({ kind: "cdx", ...c, file });
    const rec = byOffset.get(c.offset);
    if (!rec) {
      fileErrors.push(`cdx line at offset ${c.offset} matches no record`);
    } else if (rec.type === "response" &&
      (c.url !== rec.target_uri || c.status !== rec.http_status || "sha1:" + c.digest !== rec.payload_digest ||
        c.length !== rec.length)) {
      fileErrors.push(`cdx line at offset ${c.offset} disagrees with its record`);
    }
  }
  const responses = lines.filter((l) => l.kind === "record" && l.type === "response").length;
  if (cdx.length !== responses) {
    fileErrors.push(`cdx indexed ${cdx.length} captures, file has ${responses} responses`);
  }
  for (const w of warnings.slice(warnedBefore)) {
    fileErrors.push(`warcio.js warned: ${w}`);
  }
  if (fileErrors.length) failed++;
  return { lines, failed, records: raw.length, fileErrors };
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write("usage: node check.mjs FILE.warc.gz...\n");
    process.exit(2);
  }
  let records = 0;
  let failed = 0;
  const summary = { kind: "summary", files: files.length, records: 0, by_type: {}, cdx: 0, failed: 0, errors: [] };
  for (const file of files) {
    let res;
    try {
      res = await checkFile(file);
    } catch (err) {
      failed++;
      summary.errors.push(`${basename(file)}: not readable by warcio.js: ${err && err.stack ? err.stack : err}`);
      continue;
    }
    for (const l of res.lines) {
      process.stdout.write(JSON.stringify(l) + "\n");
      if (l.kind === "record") {
        summary.by_type[l.type] = (summary.by_type[l.type] || 0) + 1;
        for (const e of l.errors) summary.errors.push(`${basename(file)}@${l.offset}: ${e}`);
      } else {
        summary.cdx++;
      }
    }
    for (const e of res.fileErrors) summary.errors.push(`${basename(file)}: ${e}`);
    records += res.records;
    failed += res.failed;
  }
  summary.records = records;
  summary.failed = failed;
  process.stdout.write(JSON.stringify(summary) + "\n");
  for (const e of summary.errors) process.stderr.write(e + "\n");
  process.exit(failed > 0 ? 1 : 0);
}

await main();
