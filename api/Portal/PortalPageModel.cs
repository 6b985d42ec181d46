using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Billing.Api.Portal;

/// <summary>
/// What every portal page shares: the API client, and how the API's refusals reach the user. A 404 from the API
/// (another tenant's id, a typo) renders the page's "not found" state with status 404; a 401 (the session's token
/// expired) signs the browser out to the sign-in page; other refusals are shown as the API's own sentence.
/// </summary>
public abstract class PortalPageModel : PageModel
{
    private PortalApiClient? _api;

    protected PortalApiClient Api => _api ??= HttpContext.RequestServices.GetRequiredService<PortalApiClient>();

    /// <summary>The page's subject does not exist for this user; the page shows "not found".</summary>
    public bool Missing { get; private set; }

    /// <summary>A refusal of the last action, in the API's words.</summary>
    public string? Error { get; set; }

    /// <summary>A refused action's sentence, carried over the redirect back to its page.</summary>
    [TempData]
    public string? Refusal { get; set; }

    /// <summary>What the last action did, carried over its redirect.</summary>
    [TempData]
    public string? Notice { get; set; }

    /// <summary>The breadcrumb and navigation context (set by pages under a workspace or an app).</summary>
    public string? WorkspaceId { get; protected set; }

    public string? WorkspaceName { get; protected set; }

    public string? AppId { get; protected set; }

    public string? AppName { get; protected set; }

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var executed = await next();
        if (executed.Exception is not PortalApiException refusal || executed.ExceptionHandled)
            return;
        executed.ExceptionHandled = true;
        if (refusal.Status == HttpStatusCode.Unauthorized)
        {
            await HttpContext.SignOutAsync(PortalAuthentication.CookieScheme);
            executed.Result = Redirect("/signin?returnUrl=" + Uri.EscapeDataString(Request.Path + Request.QueryString));
        }
        else if (refusal.IsNotFound || HttpMethods.IsGet(Request.Method))
        {
            // A page whose subject cannot be read shows "not found" (the API answers 404 to outsiders, 403 to a
            // member whose role may not see it: both mean there is nothing here for this user).
            Missing = true;
            Error = refusal.IsNotFound ? null : refusal.Message;
            HttpContext.Response.StatusCode = refusal.IsNotFound ? StatusCodes.Status404NotFound : (int)refusal.Status;
            executed.Result = Page();
        }
        else
        {
            // A refused action: back to the page (post/redirect/get), with the API's sentence.
            Refusal = refusal.Message;
            executed.Result = LocalRedirect(Request.Path + Request.QueryString);
        }
    }

    /// <summary>Redirects (post/redirect/get), carrying <paramref name="notice"/> to the next page.</summary>
    protected IActionResult Redirect(string url, string? notice)
    {
        if (notice is not null)
            Notice = notice;
        return LocalRedirect(url);
    }
}
