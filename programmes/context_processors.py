from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info

from .filters import known_query


def languages(request):
    """The current page in every language, for the switcher and the hreflang alternates.

    The search's parameters are kept, so switching language keeps the search.
    """
    current = get_language()
    # "//evil.example/en/…" is a valid request path but a protocol-relative URL in a link:
    # collapse leading slashes so every link stays on this site.
    path = "/" + request.path.lstrip("/")
    # The page's own parameters only: unknown ones are not copied into every link.
    query = known_query(request.GET).urlencode()
    links = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(path, code)
        if url == path and code != current and path.startswith(f"/{current}/"):
            # Pages that do not resolve (404s) still switch by their prefix.
            url = f"/{code}/{path[len(current) + 2 :]}"
        if query:
            url = f"{url}?{query}"
        links.append(
            {
                "code": code,
                "name": get_language_info(code)["name_local"],
                "url": url,
                "absolute_url": request.build_absolute_uri(url),
                "is_current": code == current,
            }
        )
    return {"language_links": links}
