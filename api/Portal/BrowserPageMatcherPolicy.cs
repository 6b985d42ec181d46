using Microsoft.AspNetCore.Routing.Matching;

namespace Billing.Api.Portal;

/// <summary>Marks the portal's page endpoints.</summary>
public sealed class PortalPageMetadata
{
    public static readonly PortalPageMetadata Instance = new();
}

/// <summary>
/// One URL, two audiences: <c>/workspaces/{id}</c> is a REST resource for API clients and, in a browser, the
/// workspace's page (emails link to the portal with the paths the API already uses). Where a portal page and a REST
/// endpoint match the same request, a browser gets the page: a request without a bearer token that accepts HTML (a
/// navigation) or carries the portal's session cookie (a download link, whose Accept is <c>*/*</c>). Everything else
/// gets the endpoint, exactly as before the portal existed.
/// </summary>
public sealed class BrowserPageMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(IsPage) && endpoints.Any(e => !IsPage(e));

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        bool anyPage = false, anyOther = false;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i))
                continue;
            if (IsPage(candidates[i].Endpoint)) anyPage = true;
            else anyOther = true;
        }

        if (!(anyPage && anyOther))
            return Task.CompletedTask;
        var browser = IsBrowserNavigation(httpContext.Request);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && IsPage(candidates[i].Endpoint) != browser)
                candidates.SetValidity(i, false);
        }

        return Task.CompletedTask;
    }

    public static bool IsBrowserNavigation(HttpRequest request) =>
        request.Headers.Authorization.Count == 0 &&
        (request.Cookies.ContainsKey(PortalAuthentication.CookieName) ||
         request.Headers.Accept.Any(a => a is not null && a.Contains("text/html", StringComparison.OrdinalIgnoreCase)));

    private static bool IsPage(Endpoint endpoint) => endpoint.Metadata.GetMetadata<PortalPageMetadata>() is not null;
}
