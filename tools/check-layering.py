#!/usr/bin/env python3
"""The dependency rule of docs/ARCHITECTURE.md, checked on the #include lines under src/.

    tools/check-layering.py [--root DIR]   check DIR/src (default: the checkout); exit 1 on a broken rule
    tools/check-layering.py --self-test    build a temp tree with one forbidden include per rule, check each is caught

Every module gets all of src/ on its include path, so the link lines alone do
not stop a wrong include; this does. Each finding is printed as
`src/<file>:<line>: <include> (<rule>)`.
"""

import argparse
import os
import re
import sys
import tempfile
import unittest

DOMAIN = ("core", "auth", "telemetry", "releases", "jobs", "webhooks")
# Client libraries of the adapters: only backends/<x> (and app/, which wires
# them) may include these.
BACKEND_LIBRARIES = (r"sqlite3\.h", r"libpq-fe\.h", r"hiredis(/.*)?\.h", r"curl/.*")

# The rules: (name, folders of the including file, forbidden project headers,
# forbidden library headers, why). Folders are src-relative prefixes ("" is
# all of src/). Project headers are regular expressions over the header's
# src-relative path (a quoted include is resolved against the including file's
# folder first, so "../http/x.hpp" counts as http/x.hpp); library headers are
# regular expressions over the text of an include that is not a project
# header. "{self}" stands for the including file's own adapter name.
RULES = [
    # Domain code is plain C++ over its ports: no transport. boost/json is
    # allowed (models and ports speak JSON values, as telemetry, releases and
    # jobs do today); so are the libraries a domain format needs (OpenSSL,
    # libzip, libplist in releases, libjwt in auth, date/tz in core).
    ("domain-no-beast-asio", DOMAIN, (), (r"boost/beast(\.hpp|/.*)", r"boost/asio(\.hpp|/.*)"),
     "domain code never includes Boost.Beast or Boost.Asio"),
    # The arrows point into the domain: adapters implement its ports, http
    # calls its services; the domain knows neither.
    ("domain-no-backends", DOMAIN, (r"backends/.*",), (), "domain code never includes an adapter (backends/...)"),
    ("domain-no-http", DOMAIN, (r"http/.*",), (), "domain code never includes a transport header (http/...)"),
    # ARCHITECTURE: "Domain code never includes Beast, SQLite, hiredis, libpq,
    # curl or spdlog": the adapters' client libraries stay in the adapters.
    ("domain-no-backend-libraries", DOMAIN, (), BACKEND_LIBRARIES + (r"spdlog/.*",),
     "domain code never includes a backend's client library or spdlog"),
    # core knows no one: every folder may use it, it uses none of them.
    ("core-knows-no-one", ("core",), (r"(auth|telemetry|releases|jobs|webhooks|backends|http|app)/.*",), (),
     "core/ includes only core/"),
    # http reaches storage only through the domain's ports.
    ("http-no-backends", ("http",), (r"backends/.*",), BACKEND_LIBRARIES,
     "http/ never includes an adapter (backends/...) or a backend's client library"),
    # Adapters are alternatives behind one port; one never builds on another
    # (memory is an adapter too). Code two adapters share goes to the domain or core.
    ("adapter-no-other-adapter", ("backends",), (r"backends/(?!{self}/).*",), (),
     "an adapter (backends/<x>) never includes another adapter (backends/<y>)"),
    # app/ is the composition root: only main.cpp (and app/ itself) include it.
    ("nothing-includes-app", ("",), (r"app/.*",), (), "only src/main.cpp includes app/"),
]
ALLOWED_APP_INCLUDERS = ("main.cpp", "app/")

PROJECT_FOLDERS = ("app", "auth", "backends", "core", "http", "jobs", "releases", "telemetry", "webhooks")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCE_SUFFIXES = (".cpp", ".hpp", ".h", ".cc", ".ipp", ".inc")


def project_path(src, including, quote, target):
    """The src-relative path of an included project header, or None for a system/third-party header."""
    if quote == '"':
        local = os.path.normpath(os.path.join(os.path.dirname(os.path.join(src, including)), target))
        if os.path.isfile(local) and local.startswith(src + os.sep):
            return os.path.relpath(local, src).replace(os.sep, "/")
    normal = os.path.normpath(target).replace(os.sep, "/")
    if normal.split("/")[0] in PROJECT_FOLDERS:
        return normal
    return None


def in_folder(path, folder):
    return folder == "" or path == folder or path.startswith(folder + "/")


def check(root):
    """Returns the findings for root/src as (path, line, include, rule name, why)."""
    src = os.path.normpath(os.path.join(root, "src"))
    findings = []
    for directory, subdirs, files in os.walk(src):
        subdirs.sort()
        for name in sorted(files):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            full = os.path.join(directory, name)
            rel = os.path.relpath(full, src).replace(os.sep, "/")
            parts = rel.split("/")
            own_adapter = parts[1] if parts[0] == "backends" and len(parts) > 2 else None
            with open(full, encoding="utf-8", errors="replace") as f:
                for number, text in enumerate(f, 1):
                    m = INCLUDE.match(text)
                    if not m:
                        continue
                    quote, target = m.group(1), m.group(2).strip()
                    project = project_path(src, rel, quote, target)
                    subject = project if project is not None else target
                    for rule, folders, project_patterns, library_patterns, why in RULES:
                        if not any(in_folder(rel, f) for f in folders):
                            continue
                        if rule == "nothing-includes-app" and any(
                                rel == a or rel.startswith(a) for a in ALLOWED_APP_INCLUDERS):
                            continue
                        if rule == "adapter-no-other-adapter" and own_adapter is None:
                            continue
                        patterns = project_patterns if project is not None else library_patterns
                        for pattern in patterns:
                            if own_adapter is not None:
                                pattern = pattern.replace("{self}", re.escape(own_adapter))
                            if re.fullmatch(pattern, subject):
                                shown = f"<{target}>" if quote == "<" else f'"{target}"'
                                findings.append(("src/" + rel, number, shown, rule, why))
                                break
    return findings


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args(argv)
    if args.self_test:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(SelfTest)
        result = unittest.TextTestRunner(verbosity=2).run(suite)
        return 0 if result.wasSuccessful() else 1
    findings = check(args.root)
    for path, line, include, rule, why in findings:
        print(f"{path}:{line}: #include {include}: {why} [{rule}]")
    if findings:
        print(f"check-layering: {len(findings)} forbidden include(s); see docs/ARCHITECTURE.md, 'The dependency rule'")
        return 1
    print("check-layering: ok")
    return 0


class SelfTest(unittest.TestCase):
    """One forbidden include per rule in a temp tree, each caught; the allowed ones are not."""

    def tree(self, files):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        for path, text in files.items():
            full = os.path.join(directory.name, "src", path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
        return directory.name

    # Headers the forbidden includes point at, so quoted includes resolve.
    BASE = {
        "core/result.hpp": "#pragma once\n",
        "telemetry/model.hpp": '#pragma once\n#include "core/result.hpp"\n',
        "http/router.hpp": "#pragma once\n",
        "backends/memory/memory_presence.hpp": "#pragma once\n",
        "backends/redis/redis_presence.hpp": "#pragma once\n",
        "app/serve.hpp": "#pragma once\n",
    }

    def caught(self, path, include, rule):
        files = dict(self.BASE)
        files[path] = f"#pragma once\n// a comment\n#include {include}\n"
        findings = check(self.tree(files))
        self.assertEqual([(f[0], f[1], f[3]) for f in findings], [("src/" + path, 3, rule)], findings)

    def test_every_rule_has_a_case(self):
        cases = {name for name in dir(self) if name.startswith("test_rule_")}
        for rule, *_ in RULES:
            self.assertIn("test_rule_" + rule.replace("-", "_"), cases)

    def test_rule_domain_no_beast_asio(self):
        self.caught("telemetry/x.hpp", "<boost/beast/http.hpp>", "domain-no-beast-asio")
        self.caught("core/x.cpp", "<boost/asio.hpp>", "domain-no-beast-asio")
        self.caught("jobs/x.cpp", "<boost/asio/post.hpp>", "domain-no-beast-asio")

    def test_rule_domain_no_backends(self):
        self.caught("releases/x.cpp", '"backends/memory/memory_presence.hpp"', "domain-no-backends")
        self.caught("jobs/x.cpp", "<backends/redis/redis_presence.hpp>", "domain-no-backends")

    def test_rule_domain_no_http(self):
        self.caught("auth/x.cpp", '"http/router.hpp"', "domain-no-http")
        self.caught("telemetry/x.cpp", '"../http/router.hpp"', "domain-no-http")

    def test_rule_domain_no_backend_libraries(self):
        self.caught("telemetry/x.cpp", "<hiredis.h>", "domain-no-backend-libraries")
        self.caught("releases/x.cpp", "<curl/curl.h>", "domain-no-backend-libraries")
        self.caught("jobs/x.cpp", "<spdlog/spdlog.h>", "domain-no-backend-libraries")

    def test_rule_core_knows_no_one(self):
        self.caught("core/x.hpp", '"telemetry/model.hpp"', "core-knows-no-one")

    def test_rule_http_no_backends(self):
        self.caught("http/x.cpp", '"backends/memory/memory_presence.hpp"', "http-no-backends")
        self.caught("http/x.cpp", "<sqlite3.h>", "http-no-backends")

    def test_rule_adapter_no_other_adapter(self):
        self.caught("backends/redis/x.cpp", '"backends/memory/memory_presence.hpp"', "adapter-no-other-adapter")
        self.caught("backends/memory/x.cpp", '"../redis/redis_presence.hpp"', "adapter-no-other-adapter")

    def test_rule_nothing_includes_app(self):
        self.caught("http/x.cpp", '"app/serve.hpp"', "nothing-includes-app")
        self.caught("backends/memory/x.cpp", '"app/serve.hpp"', "nothing-includes-app")

    def test_allowed_includes_pass(self):
        files = dict(self.BASE)
        files.update({
            "main.cpp": '#include "app/serve.hpp"\n',
            "app/cli.cpp": '#include "app/serve.hpp"\n#include "backends/redis/redis_presence.hpp"\n'
                           '#include "http/router.hpp"\n#include <boost/asio.hpp>\n#include <spdlog/spdlog.h>\n',
            "telemetry/y.cpp": '#include "telemetry/model.hpp"\n#include <boost/json.hpp>\n#include "core/result.hpp"\n',
            "http/y.cpp": '#include "telemetry/model.hpp"\n#include <boost/beast/http.hpp>\n#include <spdlog/spdlog.h>\n',
            "backends/memory/y.cpp": '#include "backends/memory/memory_presence.hpp"\n#include "memory_presence.hpp"\n'
                                     '#include "telemetry/model.hpp"\n',
            "backends/redis/y.cpp": "#include <hiredis.h>\n",
            "core/y.cpp": '#include "core/result.hpp"\n#include <boost/json.hpp>\n#include <date/tz.h>\n',
        })
        self.assertEqual(check(self.tree(files)), [])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
