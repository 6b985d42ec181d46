using System.Security.Claims;
using Billing.Errors;

namespace Billing.Api.Auth;

public static class CallerExtensions
{
    /// <summary>The caller's user id: the token's <c>sub</c> claim (inbound claim mapping is off).</summary>
    public static string UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") is { Length: > 0 } sub
            ? sub
            : throw BillingException.Forbidden("token.sub.missing", "The access token has no 'sub' claim.");
}
