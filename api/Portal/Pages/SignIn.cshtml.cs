using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Billing.Api.Portal.Pages;

/// <summary>
/// Sign-in. With OpenID Connect configured, a button that starts it; in development, the development users and a
/// form that mints a new one (the token is signed with the API's own development key).
/// </summary>
public sealed class SignInModel(IOptions<PortalOptions> options, DevelopmentTokens tokens) : PortalPageModel
{
    public bool DevelopmentSignIn => options.Value.DevelopmentSignIn == true;

    public bool CanMint => tokens.CanMint;

    public IReadOnlyList<DevelopmentUser> Users => tokens.Users;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string? userId, string? name, string? email)
    {
        if (!DevelopmentSignIn)
            return NotFound();
        name = name?.Trim();
        email = string.IsNullOrWhiteSpace(email) ? null : email.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100)
        {
            Error = "A name of 1 to 100 characters is required.";
            return Page();
        }

        // A new user's id is derived from the name, as `dotnet user-jwts create --name` does, plus a suffix so that
        // two people called Alice stay two users.
        userId = string.IsNullOrWhiteSpace(userId) ? $"{Slug(name)}-{Guid.NewGuid().ToString("N")[..8]}" : userId;
        var user = new DevelopmentUser(userId, name, email);
        await PortalAuthentication.SignInWithToken(HttpContext, tokens.Mint(user), user.UserId, user.Name, user.Email);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }

    public IActionResult OnPostExternal() =>
        Challenge(new AuthenticationProperties { RedirectUri = Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/" }, PortalAuthentication.OpenIdScheme);

    private static string Slug(string name)
    {
        var slug = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]).Trim('-');
        return slug.Length is 0 ? "user" : slug[..Math.Min(slug.Length, 40)];
    }
}
