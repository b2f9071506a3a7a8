"""A forum whose links to a topic change with what the member has read (as many forum engines do).

The same boards, topics, posts and login as the phpBB-like forum (its own copy of them, so that
publishing on one does not change the other), under other URLs:

    GET /index.php            boards: <a class="forumtitle" href="/board/ID">
    GET /board/ID?start=N     topics, 10 a page: <a class="topictitle" href=LINK>, and the last post
                              as a link, <div class="topic-last-post"><a href="/post/PID">
    GET /topic/ID?start=N     a page of posts, with <link rel="canonical" href="/topic/ID[?start=N]">
    GET /post/PID             the page of its topic that holds post PID (same canonical link)

LINK is `/post/<first unread post>` for a logged-in member while the topic has posts the member has
not read (any page a member is served marks its posts read, across sessions, as on a real forum),
and `/topic/ID` otherwise. Guests (no session cookie) may read everything, linked to `/topic/ID`; a
session cookie that expired is sent to the login page, as on the phpBB-like forum.
"""

import copy

from .forum import LOGIN_PATH, PER_PAGE, ForumSite
from .web import Request, Response, error, esc, int_param, redirect


class UnreadForumSite(ForumSite):
    name = "unread"

    def __init__(self, content: dict, content_dir, host: str = ""):
        super().__init__(copy.deepcopy(content), content_dir, host)
        self.read = {}  # topic id -> highest post id the member was served

    def route(self, request: Request) -> Response:
        if request.path == "/ucp.php" and request.query.get("mode") == "login":
            return self.login(request) if request.method == "POST" else self.login_form()
        member = self.use_session(request)
        if not member and request.cookies.get("sid"):
            return redirect(LOGIN_PATH)
        parts = request.path.strip("/").split("/")
        if request.path in ("/", "/index.php"):
            return self.index(request)
        if request.path == "/download/file.php":
            return self.download(request)
        if len(parts) == 2 and parts[1].isdigit():
            if parts[0] == "board":
                return self.board(int(parts[1]), int_param(request.query, "start", 0), member)
            if parts[0] == "topic":
                return self.topic_page(self.topics.get(int(parts[1])), int_param(request.query, "start", 0), member)
            if parts[0] == "post":
                post = self.posts.get(int(parts[1]))
                if post is None or post["hidden"]:
                    return error(404, "The requested post does not exist.")
                posts = [p["id"] for p in self.topic_posts(post["topic"])]
                start = posts.index(post["id"]) // PER_PAGE * PER_PAGE
                return self.topic_page(self.topics[post["topic"]], start, member)
        return error(404, "The requested page does not exist.")

    def index(self, request: Request) -> Response:
        rows = [f'<li class="row"><a class="forumtitle" href="/board/{b["id"]}">{esc(b["name"])}</a></li>'
                for b in self.boards.values()]
        return _page("Board index", '<ul class="forums">\n' + "\n".join(rows) + "\n</ul>")

    def board(self, board_id: int, start, member: bool) -> Response:
        board = self.boards.get(board_id)
        if board is None:
            return error(404, "The requested forum does not exist.")
        topics = []
        for t in self.topics.values():
            posts = self.topic_posts(t["id"]) if t["board"] == board_id else []
            if posts:
                topics.append((posts, t))
        topics.sort(key=lambda x: -x[0][-1]["id"])
        if start is None or start < 0 or (start >= len(topics) and start > 0):
            return error(404, "No topics at this offset.")
        rows = []
        for posts, t in topics[start:start + PER_PAGE]:
            link = f'/topic/{t["id"]}'
            if member:
                with self.lock:
                    seen = self.read.get(t["id"], 0)
                unread = [p["id"] for p in posts if p["id"] > seen]
                link = f"/post/{unread[0]}" if unread else link
            rows.append(f'<li class="row"><a class="topictitle" href="{link}">{esc(t["title"])}</a> '
                        f'<div class="topic-last-post"><a href="/post/{posts[-1]["id"]}">last post</a></div></li>')
        nav = (f'<a rel="next" href="/board/{board_id}?start={start + PER_PAGE}">Next</a>'
               if start + PER_PAGE < len(topics) else "")
        return _page(board["name"], '<ul class="topics">\n' + "\n".join(rows)
                     + f'\n</ul>\n<div class="pagination">{nav}</div>')

    def topic_page(self, topic, start, member: bool) -> Response:
        posts = self.topic_posts(topic["id"]) if topic else []
        if not posts:
            return error(404, "The requested topic does not exist.")
        if start is None or start < 0 or start >= len(posts):
            return error(404, "No posts at this offset.")
        shown = posts[start:start + PER_PAGE]
        if member:
            with self.lock:
                self.read[topic["id"]] = max(self.read.get(topic["id"], 0), shown[-1]["id"])
        canonical = f'/topic/{topic["id"]}' + (f"?start={start}" if start else "")
        nav = (f'<a rel="next" href="/topic/{topic["id"]}?start={start + PER_PAGE}">Next</a>'
               if start + PER_PAGE < len(posts) else "")
        body = (f'<h2 class="topic-title" data-topic-id="{topic["id"]}">{esc(topic["title"])}</h2>\n'
                + "\n".join(self.render_post(p) for p in shown) + f'\n<div class="pagination">{nav}</div>')
        return _page(topic["title"], body, canonical)


def _page(title: str, body_html: str, canonical: str = "") -> Response:
    link = f'<link rel="canonical" href="{esc(canonical)}">' if canonical else ""
    doc = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>{link}'
           f"</head>\n<body>\n{body_html}\n</body></html>\n")
    return Response(200, doc.encode("utf-8"))
