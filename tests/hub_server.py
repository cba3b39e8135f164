#!/usr/bin/env python3
"""hub_server.py - a stand-in for the Hugging Face Hub on 127.0.0.1, for
tests/test_fetch.sh (Python's standard library only).

    hub_server.py --fixtures DIR --port-file FILE --log FILE

Binds a free port, writes it to --port-file, and answers as the Hub does:

  GET  /api/models/ORG/NAME/revision/REV   {"id", "sha", "siblings", "gated"}
  HEAD /ORG/NAME/resolve/REV/FILE          a git file: 200 with ETag (its git blob
                                           id), Content-Length, X-Repo-Commit; an LFS
                                           file: 302 to the "CDN" (/cdn/...) with
                                           X-Linked-Etag (its sha256), X-Linked-Size
  GET  /ORG/NAME/resolve/REV/FILE          the same, with the bytes (or the 302)
  GET  /cdn/SHA256/FILE                    an LFS file's bytes, with Range support

The models (revisions main, v1.0 and the commit itself):

  aniso-test/llama-f32      tests/fixtures/forward/llama-f32 (tokenizer.json and
                            model.safetensors in LFS), plus files aniso does not need
  aniso-test/llama-gated    the same, gated: 401 without a token, 403 with a wrong
                            one, 200 with "Authorization: Bearer hf_aniso_test_token"
  aniso-test/llama-badsum   the same, but the CDN serves model.safetensors with one
                            byte changed (its sha256 differs from the ETag)
  aniso-test/llama-renamed  a renamed repository: the API and resolve URLs answer
                            with relative redirects (307) to aniso-test/llama-f32
  aniso-test/llama-sharded  tests/fixtures/models/llama-tiny-sharded (an index, 7 shards)
  aniso-test/gguf-multi     two GGUF files (tests/fixtures/gguf/llama-f32.gguf and
                            qwen2-f32.gguf)
  aniso-test/gguf-one       one GGUF file

Faults, set by the test: GET /_ctl/truncate/FILE/N makes the next N CDN
transfers of FILE (its repository name) stop after half of the bytes they
announce, the connection closed. Every request is logged to --log as
"METHOD PATH range=RANGE auth=yes|no".
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

TOKEN = "hf_aniso_test_token"
REVS = ("main", "v1.0")


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    def __init__(self, rid, files, lfs, gated=False, bad=()):
        self.id = rid
        self.files = files  # name -> bytes
        self.lfs = set(lfs)
        self.gated = gated
        self.bad = set(bad)
        self.commit = hashlib.sha1(rid.encode()).hexdigest()
        self.sha = {n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n in self.lfs}


def read_dir(path, names):
    return {n: open(os.path.join(path, n), "rb").read() for n in names}


def build(fx):
    llama = read_dir(os.path.join(fx, "forward", "llama-f32"),
                     ["config.json", "tokenizer.json", "tokenizer_config.json",
                      "model.safetensors"])
    extra = {"README.md": b"# a test model\n", ".gitattributes": b"*.safetensors filter=lfs\n",
             "generation_config.json": b'{"bos_token_id": 1}\n'}
    lfs = ["tokenizer.json", "model.safetensors"]
    sharded_dir = os.path.join(fx, "models", "llama-tiny-sharded")
    sharded = read_dir(sharded_dir, [n for n in sorted(os.listdir(sharded_dir))
                                     if n != "oracle.json"])
    gg = os.path.join(fx, "gguf")
    repos = [
        Repo("aniso-test/llama-f32", {**llama, **extra}, lfs),
        Repo("aniso-test/llama-gated", {**llama, **extra}, lfs, gated=True),
        Repo("aniso-test/llama-badsum", {**llama, **extra}, lfs, bad=["model.safetensors"]),
        Repo("aniso-test/llama-sharded", sharded,
             [n for n in sharded if n.endswith(".safetensors")]),
        Repo("aniso-test/gguf-multi", {**read_dir(gg, ["llama-f32.gguf", "qwen2-f32.gguf"]),
                                       "README.md": b"# GGUF\n"},
             ["llama-f32.gguf", "qwen2-f32.gguf"]),
        Repo("aniso-test/gguf-one", read_dir(gg, ["llama-f32.gguf"]), ["llama-f32.gguf"]),
    ]
    return {r.id: r for r in repos}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "hub_server/1"

    def log_message(self, fmt, *args):  # quiet on stderr
        pass

    def log(self):
        with self.server.lock:
            with open(self.server.log_path, "a") as f:
                f.write("%s %s range=%s auth=%s\n" % (
                    self.command, self.path, self.headers.get("Range", "-"),
                    "yes" if self.headers.get("Authorization") else "no"))

    def reply(self, code, headers=(), body=b"", send_body=True):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def error(self, code, error_code, message, commit=None, send_body=True):
        h = [("X-Error-Code", error_code), ("Content-Type", "application/json")]
        if commit:
            h.append(("X-Repo-Commit", commit))
        self.reply(code, h, json.dumps({"error": message}).encode(), send_body)

    def do_HEAD(self):
        self.handle_any(send_body=False)

    def do_GET(self):
        self.handle_any(send_body=True)

    def handle_any(self, send_body):
        self.log()
        path = urlsplit(self.path).path
        parts = [unquote(p) for p in path.split("/")[1:]]
        repos = self.server.repos
        if parts[:2] == ["_ctl", "truncate"] and len(parts) == 4:
            with self.server.lock:
                self.server.truncate[parts[2]] = int(parts[3])
            return self.reply(200, body=b"ok\n")
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] == "revision":
            rid = parts[2] + "/" + parts[3]
            rev = "/".join(parts[5:])
            if rid == "aniso-test/llama-renamed":
                return self.reply(307, [("Location", "/api/models/aniso-test/llama-f32/revision/"
                                         + quote(rev, safe=""))], send_body=send_body)
            repo = repos.get(rid)
            if not repo:
                return self.error(404, "RepoNotFound", "Repository not found",
                                  send_body=send_body)
            if rev not in REVS and rev != repo.commit:
                return self.error(404, "RevisionNotFound", "Invalid rev id: " + rev,
                                  send_body=send_body)
            info = {"_id": repo.commit[:24], "id": repo.id, "private": False,
                    "gated": "manual" if repo.gated else False, "sha": repo.commit,
                    "siblings": [{"rfilename": n} for n in sorted(repo.files)]}
            return self.reply(200, [("Content-Type", "application/json")],
                              json.dumps(info).encode(), send_body)
        if parts and parts[0] == "cdn" and len(parts) >= 3:
            return self.cdn(parts[1], "/".join(parts[2:]), send_body)
        if len(parts) >= 5 and parts[2] == "resolve":
            rid = parts[0] + "/" + parts[1]
            rev, name = parts[3], "/".join(parts[4:])
            if rid == "aniso-test/llama-renamed":
                target = "/aniso-test/llama-f32/" + "/".join(path.split("/")[3:])
                return self.reply(307, [("Location", target)], send_body=send_body)
            return self.resolve(rid, rev, name, send_body)
        return self.error(404, "NotFound", "no such page", send_body=send_body)

    def resolve(self, rid, rev, name, send_body):
        repo = self.server.repos.get(rid)
        if not repo:
            return self.error(404, "RepoNotFound", "Repository not found", send_body=send_body)
        if repo.gated:
            auth = self.headers.get("Authorization")
            if not auth:
                return self.error(401, "GatedRepo", "Access to model %s is restricted." % rid,
                                  send_body=send_body)
            if auth != "Bearer " + TOKEN:
                return self.error(403, "GatedRepo",
                                  "Access to model %s is restricted and you are not in the "
                                  "authorized list." % rid, send_body=send_body)
        if rev not in REVS and rev != repo.commit:
            return self.error(404, "RevisionNotFound", "Invalid rev id: " + rev,
                              send_body=send_body)
        data = repo.files.get(name)
        if data is None:
            return self.error(404, "EntryNotFound", "Entry not found", repo.commit, send_body)
        common = [("X-Repo-Commit", repo.commit)]
        if name in repo.lfs:
            host = self.headers.get("Host", "127.0.0.1")
            loc = "http://%s/cdn/%s/%s" % (host, ("bad-" if name in repo.bad else "")
                                            + repo.sha[name], quote(name))
            return self.reply(302, common + [
                ("Location", loc), ("ETag", '"%s"' % git_blob_id(b"lfs pointer " + name.encode())),
                ("X-Linked-Etag", '"%s"' % repo.sha[name]),
                ("X-Linked-Size", str(len(data)))], send_body=send_body)
        return self.reply(200, common + [("ETag", '"%s"' % git_blob_id(data)),
                                         ("Content-Type", "application/octet-stream")],
                          data, send_body)

    def cdn(self, key, name, send_body):
        bad = key.startswith("bad-")
        sha = key[4:] if bad else key
        data = None
        for repo in self.server.repos.values():
            for n, s in repo.sha.items():
                if s == sha:
                    data = repo.files[n]
        if data is None:
            return self.error(404, "NotFound", "no such blob", send_body=send_body)
        if bad:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start, code, headers = 0, 200, [("Accept-Ranges", "bytes"),
                                        ("Content-Type", "application/octet-stream")]
        rng = self.headers.get("Range")
        if rng:
            if not rng.startswith("bytes=") or not rng[6:].endswith("-"):
                return self.error(400, "BadRange", "only bytes=N- ranges", send_body=send_body)
            start = int(rng[6:-1])
            if start >= len(data):
                return self.reply(416, [("Content-Range", "bytes */%d" % len(data))],
                                  send_body=send_body)
            code = 206
            headers.append(("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data))))
        body = data[start:]
        base = name.rsplit("/", 1)[-1]
        with self.server.lock:
            left = self.server.truncate.get(base, 0) if send_body else 0
            if left:
                self.server.truncate[base] = left - 1
        if not left:
            return self.reply(code, headers, body, send_body)
        # announce every byte, send half, and hang up
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.repos = build(a.fixtures)
    srv.truncate = {}
    srv.lock = threading.Lock()
    srv.log_path = a.log
    open(a.log, "w").close()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
