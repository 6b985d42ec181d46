namespace Billing.Api.Portal.Pages;

/// <summary>
/// The sign-up confirmation email's link. Addresses are verified by the identity provider (the token's
/// <c>email_verified</c>), so landing here signed in is the confirmation; signing in first is what the link asks.
/// </summary>
public sealed class SignUpConfirmModel : PortalPageModel
{
    public void OnGet()
    {
    }
}
