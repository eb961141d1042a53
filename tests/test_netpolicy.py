"""Rows 20 and 21 of HOSTILE.md as pure functions: the URL-safety policy on every spelling of
a refused address. Nothing here connects anywhere: private, link-local and public addresses
are only ever arguments."""

from __future__ import annotations

import pytest
from scrapy.resolver import dnscache
from scrapy.settings import Settings
from twisted.internet.error import DNSLookupError

from crawler import resolver as resolver_module
from crawler.config import ConfigError, CrawlerConfig
from crawler.netpolicy import AllowList, check_address, check_url, parse_ip
from crawler.resolver import BlockedAddress, PolicyResolver, refused_host_reason


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # loopback, however written
        ("http://127.0.0.1/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://127.0.1/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://017700000001/", "loopback"),
        ("http://127.255.255.254:8080/x", "loopback"),
        ("http://127.0.0.1./", "loopback"),
        ("http://%31%32%37.0.0.1/", "loopback"),
        ("http://user:pass@127.0.0.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://[::127.0.0.1]/", "loopback"),  # IPv4-compatible
        ("http://[2002:7f00:1::]/", "loopback"),  # 6to4
        ("http://[64:ff9b::7f00:1]/", "loopback"),  # NAT64
        ("http://localhost/", "loopback"),
        ("http://LOCALHOST.:8000/", "loopback"),
        ("http://api.localhost/", "loopback"),
        # metadata services
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[::ffff:169.254.169.254]/", "metadata"),
        ("http://2852039166/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://100.100.100.200/", "metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        # private, link-local, multicast, unspecified, reserved, shared
        ("http://10.0.0.1/", "private"),
        ("http://10.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://172.31.255.255/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://0xc0.0xa8.1.1/", "private"),
        ("http://[fd12:3456::1]/", "private"),
        ("http://[fc00::1]/", "private"),
        ("http://169.254.1.1/", "link_local"),
        ("http://[fe80::1]/", "link_local"),
        ("http://[fe80::1%25eth0]/", "link_local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://240.0.0.1/", "private"),
        ("http://255.255.255.255/", "private"),
        ("http://100.64.0.1/", "non_public"),
        ("http://192.0.2.1/", "private"),  # documentation range
        # numeric but no address: refused rather than guessed
        ("http://256.1.1.1/", "bad_address"),
        ("http://1.2.3.4.5/", "bad_address"),
        ("http://08.1.1.1/", "bad_address"),
        ("http://0x/", "unspecified"),
        ("http://example.org:99999/", "bad_address"),
        # schemes (row 20)
        ("file:///etc/passwd", "scheme"),
        ("data:text/html,hi", "scheme"),
        ("ftp://example.org/a", "scheme"),
        ("s3://bucket/key", "scheme"),
        ("gopher://example.org/", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http:///nohost", "no_host"),
        # allowed: public addresses and names (names are checked again once resolved)
        ("http://93.184.216.34/", None),
        ("https://[2606:4700::1111]/", None),
        ("https://example.org/news/1", None),
        ("HTTPS://Example.ORG:8443/a?b=c", None),
        ("http://1.1.1.1/", None),
    ],
)
def test_check_url(url: str, reason: str | None) -> None:
    assert check_url(url) == reason


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("example.org", None),
        ("256.1.1.1", None),
    ],
)
def test_parse_ip_legacy_spellings(host: str, address: str | None) -> None:
    parsed = parse_ip(host)
    assert (str(parsed) if parsed else None) == address


def test_allow_list_entries() -> None:
    allow = AllowList.parse(
        ["127.0.0.1:8080", "10.0.0.0/8", "intranet.example", "[::1]:9000", " ", "fd00::/8"]
    )
    assert check_url("http://127.0.0.1:8080/feed", allow) is None
    assert check_url("http://127.1:8080/feed", allow) is None  # same address, other spelling
    assert check_url("http://127.0.0.1:8081/feed", allow) == "loopback"
    assert check_url("http://127.0.0.1/feed", allow) == "loopback"
    assert check_url("http://10.20.30.40/", allow) is None
    assert check_url("http://11.0.0.1/", allow) is None  # public anyway
    assert check_url("http://192.168.0.1/", allow) == "private"
    assert check_url("http://[::1]:9000/", allow) is None
    assert check_url("http://[::1]:9001/", allow) == "loopback"
    assert check_url("http://[fd00::5]/", allow) is None
    assert check_url("file:///etc/passwd", allow) == "scheme"  # never allowed
    # Resolved addresses: a listed name may resolve to a private address.
    assert check_address("intranet.example", "192.168.1.10", allow) is None
    assert check_address("other.example", "192.168.1.10", allow) == "private"
    assert check_address("other.example", "10.9.9.9", allow) is None
    assert check_address("public.example", "93.184.216.34") is None
    assert check_address("evil.example", "127.0.0.1") == "loopback"
    assert check_address("evil.example", "::ffff:169.254.169.254") == "metadata"
    local = AllowList.parse(["localhost:8000"])
    assert check_url("http://localhost:8000/feed", local) is None
    assert check_url("http://localhost:8001/feed", local) == "loopback"
    assert check_address("localhost", "127.0.0.1", local) is None


@pytest.mark.parametrize(
    "value", ["http://x.org/", "10.0.0.0/33", "host:notaport", "host:0", "a b", "[::1"]
)
def test_allow_private_hosts_validated(value: str) -> None:
    with pytest.raises(ConfigError, match="ALLOW_PRIVATE_HOSTS"):
        CrawlerConfig.from_settings(project_settings(ALLOW_PRIVATE_HOSTS=value))


def test_allow_private_hosts_from_list_or_comma_string() -> None:
    for value in (["127.0.0.1", "10.0.0.0/8"], "127.0.0.1, 10.0.0.0/8"):
        settings = project_settings(ALLOW_PRIVATE_HOSTS=value)
        allow = CrawlerConfig.from_settings(settings).allow_private_hosts
        assert allow.allows("127.0.0.1", 80) and allow.allows("10.1.2.3", 443)
    default = CrawlerConfig.from_settings(project_settings()).allow_private_hosts
    assert not default


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEWSCRAWLER_FEED_MAXSIZE_BYTES", "0"),
        ("NEWSCRAWLER_FEED_MAX_ITEMS", "many"),
        ("NEWSCRAWLER_ARTICLE_MAXSIZE_BYTES", "-5"),
        ("NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES", "1.5"),
        ("NEWSCRAWLER_RETRY_AFTER_MAX_S", "nan"),
        ("NEWSCRAWLER_RETRY_AFTER_MAX_S", "-1"),
    ],
)
def test_budget_settings_validated(name: str, value: str) -> None:
    settings = project_settings(**{name: value})
    with pytest.raises(ConfigError, match=name):
        CrawlerConfig.from_settings(settings)


def project_settings(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def resolve(resolver: PolicyResolver, name: str, answer: str) -> str | BaseException:
    """``getHostByName`` with the answer planted in Scrapy's DNS cache: no lookup, no reactor."""
    dnscache[name] = answer
    outcome: list[str | BaseException] = []
    resolver.getHostByName(name).addCallbacks(outcome.append, lambda f: outcome.append(f.value))
    del dnscache[name]
    return outcome[0]


def test_resolver_refuses_names_that_resolve_to_refused_addresses() -> None:
    resolver = PolicyResolver.__new__(PolicyResolver)  # no reactor needed for cached answers
    error = resolve(resolver, "innocent.example", "127.0.0.1")
    assert isinstance(error, BlockedAddress) and isinstance(error, DNSLookupError)
    assert error.reason == "urlpolicy_dns_loopback"
    assert refused_host_reason("INNOCENT.example") == "loopback"
    error = resolve(resolver, "rebind.example", "169.254.169.254")
    assert isinstance(error, BlockedAddress) and error.reason == "urlpolicy_dns_metadata"
    assert resolve(resolver, "public.example", "93.184.216.34") == "93.184.216.34"
    assert refused_host_reason("public.example") is None
    resolver.allow = AllowList.parse(["intranet.example", "10.0.0.0/8"])
    assert resolve(resolver, "intranet.example", "192.168.1.10") == "192.168.1.10"
    assert resolve(resolver, "other.example", "10.1.1.1") == "10.1.1.1"
    assert isinstance(resolve(resolver, "other.example", "192.168.1.10"), BlockedAddress)
    resolver_module._REFUSED.clear()


def test_resolver_is_the_crawlers_resolver() -> None:
    from crawler import settings

    assert settings.TWISTED_DNS_RESOLVER == "crawler.resolver.PolicyResolver"
    middlewares = settings.DOWNLOADER_MIDDLEWARES
    assert "crawler.downloadermiddlewares.urlpolicy.UrlPolicyMiddleware" in middlewares


def test_row20_file_data_ftp_s3_handlers_disabled() -> None:
    """Scrapy builds a download handler for each scheme left in DOWNLOAD_HANDLERS (base
    merged with ours, None removed): only http and https remain."""
    from scrapy.utils.python import without_none_values

    handlers = without_none_values(project_settings().getwithbase("DOWNLOAD_HANDLERS"))
    assert set(handlers) == {"http", "https"}
