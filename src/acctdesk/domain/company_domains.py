"""Company domains as identity: the registrable domain, and the domains that are not identity.

A company's web domain is strong evidence of who it is, but only its *registrable* part
(``www.eu.acme.co.uk`` -> ``acme.co.uk``, the Public Suffix List's rule, via ``tldextract``
and the list snapshot it ships, so nothing is downloaded) and only when many companies do not
share it:

* free-mail providers (``gmail.com``, ``yahoo.co.uk``, ``web.de`` ...): an e-mail address there
  says nothing about the company;
* platforms and shared hosting (``sites.google.com/view/x``, ``facebook.com/acme``,
  ``linkedin.com/company/x``, ``wix.com``, school-website hosts ...): the path, not the domain,
  names the company. Hosting domains on the Public Suffix List's private section
  (``x.github.io``, ``x.myshopify.com``) are fine: there the registrable domain is
  ``x.github.io`` itself;
* a domain that the data itself shows to be shared (several records of one system with
  different ids carry it): the matcher learns those per workspace (see ``importers.match``).

A domain rule, shared by the importers (matching companies) and storage (an erasure finds
the unlinked tickets and survey answers sent from the company's domain).

A *name* that is itself such a domain ("gmail.com", a Stripe customer named after its
owner's mailbox) is not a company name either: :func:`is_placeholder_name`.
"""
from __future__ import annotations

import re
from functools import lru_cache

import tldextract

__all__ = ["FREE_MAIL", "PLATFORMS", "host_of", "registrable_domain", "is_free_mail", "is_platform",
           "identity_domain", "is_placeholder_name", "looks_like_domain"]

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                 include_psl_private_domains=True)

#: free-mail providers, by registrable domain
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "rocketmail.com",
    "hotmail.com", "outlook.com", "live.com", "msn.com", "passport.com", "windowslive.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "aim.com", "gmx.de", "gmx.net", "gmx.com",
    "gmx.at", "gmx.ch", "web.de", "t-online.de", "freenet.de", "proton.me", "protonmail.com",
    "protonmail.ch", "pm.me", "tutanota.com", "tuta.io", "mail.com", "email.com", "inbox.com",
    "yandex.ru", "yandex.com", "ya.ru", "mail.ru", "bk.ru", "list.ru", "inbox.ru", "rambler.ru",
    "qq.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com",
    "aliyun.com", "naver.com", "daum.net", "hanmail.net", "rediffmail.com", "zoho.com",
    "zohomail.com", "fastmail.com", "fastmail.fm", "hey.com", "hushmail.com", "lycos.com",
    "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "neuf.fr", "libero.it",
    "virgilio.it", "alice.it", "tiscali.it", "btinternet.com", "sky.com", "virginmedia.com",
    "blueyonder.co.uk", "ntlworld.com", "talktalk.net", "comcast.net", "verizon.net",
    "att.net", "sbcglobal.net", "bellsouth.net", "cox.net", "charter.net", "earthlink.net",
    "optonline.net", "juno.com", "netzero.net", "shaw.ca", "rogers.com", "sympatico.ca",
    "telus.net", "bigpond.com", "bigpond.net.au", "optusnet.com.au", "xtra.co.nz",
    "seznam.cz", "centrum.cz", "wp.pl", "o2.pl", "onet.pl", "interia.pl", "abv.bg",
    "uol.com.br", "bol.com.br", "terra.com.br", "ig.com.br", "skynet.be", "telenet.be",
    "planet.nl", "ziggo.nl", "home.nl", "kpnmail.nl", "bluewin.ch", "hispeed.ch",
    "chello.at", "aon.at", "telia.com", "online.no", "eircom.net", "mweb.co.za",
})
#: free-mail brands whose every country domain is free mail (yahoo.co.jp, hotmail.fr ...)
_FREE_MAIL_BRANDS = frozenset({"gmail", "googlemail", "yahoo", "ymail", "hotmail", "outlook",
                               "live", "msn", "aol", "gmx", "yandex", "icloud", "protonmail"})

#: registrable domains of platforms on which many companies have a page (not identity)
PLATFORMS = frozenset({
    "google.com", "goo.gl", "facebook.com", "fb.com", "fb.me", "instagram.com", "linkedin.com",
    "lnkd.in", "twitter.com", "x.com", "t.co", "youtube.com", "youtu.be", "tiktok.com",
    "pinterest.com", "reddit.com", "medium.com", "substack.com", "tumblr.com",
    "wordpress.com", "wordpress.org", "blogger.com", "blogspot.com", "wix.com", "wixsite.com",
    "editorx.io", "squarespace.com", "weebly.com", "webnode.com", "jimdo.com", "jimdofree.com",
    "site123.me", "yolasite.com", "godaddysites.com", "godaddy.com", "business.site",
    "webflow.io", "carrd.co", "notion.site", "notion.so", "linktr.ee", "about.me", "bit.ly",
    "github.com", "gitlab.com", "bitbucket.org", "sourceforge.net", "angel.co",
    "wellfound.com", "crunchbase.com", "yelp.com", "tripadvisor.com", "amazon.com",
    "amazonaws.com", "cloudfront.net", "azurewebsites.net", "sharepoint.com",
    "onmicrosoft.com", "office.com", "microsoft.com", "apple.com", "dropbox.com", "box.com",
    "hubspot.com", "hs-sites.com", "hubspotpagebuilder.com", "salesforce.com", "force.com",
    "my.salesforce.com", "zendesk.com", "freshdesk.com", "intercom.io", "typeform.com",
    "surveymonkey.com", "qualtrics.com", "stripe.com", "shopify.com", "etsy.com", "ebay.com",
    "schoolwires.net", "schoolwires.com", "edlio.com", "edlioschool.com", "finalsite.com",
    "finalsite.net", "sharpschool.com", "sharpschool.net", "schoolloop.com", "apptegy.com",
    "thrillshare.com", "schoolmessenger.com", "socs.net", "schoolinsites.com",
    "eschoolview.com", "weebly-site.com", "example.com", "example.org", "example.net",
    "test.com", "localhost",
})

_DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def host_of(value: object) -> str | None:
    """The host part of a domain, URL or e-mail address, lower-case, without ``www.``."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = re.split(r"[/?#\s,;]", text, maxsplit=1)[0]
    text = text.split(":", 1)[0].strip(".")
    if text.startswith("www."):
        text = text[4:]
    return text or None


@lru_cache(maxsize=200_000)
def _registrable(host: str) -> str | None:
    if not _DOMAIN_RE.match(host):
        return None
    parts = _EXTRACT(host)
    if not parts.suffix or not parts.domain:
        return None
    return f"{parts.domain}.{parts.suffix}"


def looks_like_domain(value: object) -> bool:
    """True for text that is a domain or URL ("acme.com", "https://acme.io/x")."""
    host = host_of(value)
    return bool(host) and "@" not in str(value) and _registrable(host) is not None


def registrable_domain(value: object) -> str | None:
    """The registrable domain of a domain, URL or e-mail address (Public Suffix List).

    >>> registrable_domain("https://www.eu.acme.co.uk/about"), registrable_domain("ann@x.acme.com")
    ('acme.co.uk', 'acme.com')
    >>> registrable_domain("school1.github.io"), registrable_domain("not a domain")
    ('school1.github.io', None)
    """
    host = host_of(value)
    return _registrable(host) if host else None


def is_free_mail(domain: str | None) -> bool:
    if not domain:
        return False
    return domain in FREE_MAIL or domain.split(".", 1)[0] in _FREE_MAIL_BRANDS


def is_platform(domain: str | None) -> bool:
    return bool(domain) and domain in PLATFORMS


def identity_domain(value: object) -> str | None:
    """The domain that identifies a company, or None when ``value`` has none that does.

    The registrable domain, unless it is a free-mail provider or a platform many companies
    share (see the module docstring).
    """
    dom = registrable_domain(value)
    if dom is None or is_free_mail(dom) or is_platform(dom):
        return None
    return dom


def is_placeholder_name(name: object) -> bool:
    """True when a "name" is really a free-mail or platform domain or an e-mail address.

    Billing customers are often "named" after the payer's mailbox ("gmail.com",
    "jane@gmail.com"): such a name identifies no company.
    """
    if name is None or (isinstance(name, float) and name != name):
        return False
    text = str(name).strip().lower()
    if not text:
        return False
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", text):
        return True
    if " " in text:
        return False
    dom = registrable_domain(text)
    return dom is not None and (is_free_mail(dom) or is_platform(dom))
