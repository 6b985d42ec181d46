using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

public sealed class SignOutModel : PortalPageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(PortalAuthentication.CookieScheme);
        return LocalRedirect("/signin");
    }
}
