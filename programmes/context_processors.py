from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info


def languages(request):
    """The current page in every language, for the switcher and the hreflang alternates.

    The query string is kept, so switching language keeps the search.
    """
    current = get_language()
    # "//evil.example/en/…" is a valid request path but a protocol-relative URL in a link:
    # collapse leading slashes so every link stays on this site.
    path = "/" + request.path.lstrip("/")
    query = request.META.get("QUERY_STRING", "")
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
