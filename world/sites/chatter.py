"""Harmless items: what most of a paste site or forum holds (code, configs, logs, talk).

A few are hard negatives on purpose: a table schema without rows, a product price list, and
(content.py) a dump of strangers nobody registered. They look like leaks and must match nothing.
"""

USERS = ["Guest", "Guest", "Guest", "xX_r00t_Xx", "dumpking", "n0body", "k4tana", "bl4ckh4t", "lurker99",
         "mr_robot", "zer0day", "sudo_su", "pwnie", "datacat", "ghost_fr", "h4x0rine"]
_WORDS = ["server", "docker", "python", "config", "deploy", "cache", "queue", "build", "proxy", "backup",
          "cluster", "token", "script", "kernel", "patch", "bucket", "router", "shell", "cron", "vpn"]
_PRODUCTS = ["clavier mecanique", "souris gamer", "ecran 27 pouces", "casque audio", "webcam HD", "hub USB-C",
             "ssd 1To", "carte graphique", "routeur wifi 6", "cle USB 64Go"]


def _python(rng):
    n = rng.randint(15, 40)
    return (f"# fizzbuzz up to {n}\nfor i in range(1, {n + 1}):\n"
            "    out = ('Fizz' if i % 3 == 0 else '') + ('Buzz' if i % 5 == 0 else '')\n"
            "    print(out or i)\n"), "fizzbuzz.py"


def _bash(rng):
    w = rng.choice(_WORDS)
    return (f"#!/bin/sh\nset -eu\n# nightly {w} backup\ntar czf /backup/{w}-$(date +%F).tgz /srv/{w}\n"
            f"find /backup -name '{w}-*.tgz' -mtime +{rng.randint(3, 30)} -delete\n"), f"{w}-backup.sh"


def _nginx(rng):
    port = rng.choice([8000, 8080, 3000, 5000])
    host = f"{rng.choice(_WORDS)}.example.org"
    return (f"server {{\n    listen 80;\n    server_name {host};\n    location / {{\n"
            f"        proxy_pass http://127.0.0.1:{port};\n        proxy_set_header Host $host;\n    }}\n}}\n"), "nginx.conf"


def _json_config(rng):
    return ('{\n  "debug": %s,\n  "workers": %d,\n  "queue": "%s",\n  "retry": {"max": %d, "backoff": %.1f}\n}\n'
            % (rng.choice(["true", "false"]), rng.randint(1, 16), rng.choice(_WORDS), rng.randint(1, 9),
               rng.random() * 3)), "config.json"


def _log(rng):
    lines = []
    for _ in range(rng.randint(5, 12)):
        ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        path = "/" + "/".join(rng.sample(_WORDS, 2))
        lines.append(f'{ip} - - [23/Feb/2021:{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00 +0000] '
                     f'"GET {path} HTTP/1.1" {rng.choice([200, 200, 304, 404, 500])} {rng.randint(100, 9000)}')
    return "\n".join(lines) + "\n", "access log"


def _todo(rng):
    items = rng.sample(_WORDS, 5)
    return "TODO\n" + "\n".join(f"- [{rng.choice(' x')}] fix {w}" for w in items) + "\n", "todo"


def _schema(rng):
    # A hard negative: the shape of a patient table, with no rows in it.
    return ("CREATE TABLE patients (\n  id SERIAL PRIMARY KEY,\n  nir CHAR(15),\n  nom TEXT,\n  prenom TEXT,\n"
            "  date_naissance DATE,\n  telephone TEXT\n);\n-- no data, just asking how to index nir\n"), "schema help"


def _price_list(rng):
    # A hard negative: a CSV, but of products.
    rows = [f"{p};{rng.randint(9, 400)},{rng.randint(0, 99):02d};{rng.randint(0, 30)}"
            for p in rng.sample(_PRODUCTS, 6)]
    return "produit;prix;stock\n" + "\n".join(rows) + "\n", "stock"


def _spam(rng):
    return (f"FREE {rng.choice(['BTC', 'XMR', 'ETH'])} GIVEAWAY!!! send 0.1 get 1 back\n"
            f"wallet: {''.join(rng.choice('0123456789abcdef') for _ in range(40))}\n"), "giveaway"


def _talk(rng):
    return rng.choice(["anyone knows a good vpn that takes xmr?", "my docker build keeps failing on arm64, help",
                       "test test", "how do I unzip a .7z on linux", "lol", "back online after the ban"]) + "\n", "Untitled"


_MAKERS = [_python, _bash, _nginx, _json_config, _log, _todo, _schema, _price_list, _spam, _talk]


def harmless_paste(rng) -> tuple[str, str]:
    """(text, title) of a paste that holds no personal data."""
    return rng.choice(_MAKERS)(rng)


FORUM_LINES = [
    "bump", "thanks for sharing", "link dead, reupload?", "anyone got a mirror?", "legit, checked the sample",
    "scam, stay away", "PM sent", "nice", "old stuff, already circulating since last year",
    "mods please move this", "how much for the full thing?", "escrow or nothing", "works for me",
    "which software did they use?", "+1", "not my first rodeo, this is fake",
]


def forum_reply(rng) -> str:
    return " ".join(rng.sample(FORUM_LINES, rng.randint(1, 3)))
