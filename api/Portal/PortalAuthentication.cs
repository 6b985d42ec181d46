using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Billing.Api.Portal;

/// <summary>
/// How people sign in to the portal. The browser holds one HttpOnly, SameSite cookie (the session); the bearer token
/// the REST API wants is kept inside it, encrypted, and never reaches a URL, a script or local storage. Forms carry
/// an anti-forgery token. Production signs in with OpenID Connect against the provider that issues the API's tokens;
/// locally, the development sign-in page mints tokens with the API's own signing key (the <c>dotnet user-jwts</c> one).
/// </summary>
public static class PortalAuthentication
{
    public const string CookieScheme = "Portal";
    public const string OpenIdScheme = "PortalOpenIdConnect";
    public const string Policy = "PortalUser";
    public const string AccessToken = "access_token";
    public const string CookieName = "billing-portal";

    public static void AddPortalAuthentication(this WebApplicationBuilder builder, PortalOptions options)
    {
        var auth = builder.Services.AddAuthentication();
        auth.AddCookie(CookieScheme, o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/signin";
            o.LogoutPath = "/signout";
            o.AccessDeniedPath = "/signin";
            o.ExpireTimeSpan = options.SessionLifetime;
            o.SlidingExpiration = false; // the session ends with the token inside it
            if (options.OpenIdConnect.Enabled)
                o.ForwardChallenge = OpenIdScheme;
        });
        if (options.OpenIdConnect.Enabled)
        {
            auth.AddOpenIdConnect(OpenIdScheme, o =>
            {
                var oidc = options.OpenIdConnect;
                o.SignInScheme = CookieScheme;
                o.Authority = oidc.Authority;
                o.ClientId = oidc.ClientId;
                o.ClientSecret = oidc.ClientSecret;
                o.ResponseType = "code";
                o.UsePkce = true;
                o.SaveTokens = true; // the access token goes into the session cookie, for the API calls
                o.MapInboundClaims = false;
                o.GetClaimsFromUserInfoEndpoint = true;
                o.Scope.Add("email");
                if (oidc.ApiScope is { Length: > 0 } scope)
                    o.Scope.Add(scope);
                o.CallbackPath = "/signin-oidc";
                o.SignedOutCallbackPath = "/signout-callback-oidc";
            });
        }

        builder.Services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser());
    }

    /// <summary>Signs the browser in with <paramref name="token"/> as its API token (the development sign-in).</summary>
    public static Task SignInWithToken(HttpContext http, string token, string userId, string name, string? email)
    {
        var identity = new ClaimsIdentity(
            [new Claim("sub", userId), new Claim("name", name), .. email is null ? Array.Empty<Claim>() : [new Claim("email", email)]],
            CookieScheme, "name", "role");
        var properties = new AuthenticationProperties();
        properties.StoreTokens([new AuthenticationToken { Name = AccessToken, Value = token }]);
        return http.SignInAsync(CookieScheme, new ClaimsPrincipal(identity), properties);
    }
}

/// <summary>
/// The development sign-in's token minting: a token the API accepts, signed with the key its bearer handler checks
/// (in Development the <c>dotnet user-jwts</c> key from user secrets), with that handler's issuer and audience.
/// </summary>
public sealed class DevelopmentTokens(IOptionsMonitor<JwtBearerOptions> bearer, IOptions<PortalOptions> options)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DevelopmentUser> _users = new();

    /// <summary>Users minted since the process started, for the sign-in page's list.</summary>
    public IReadOnlyList<DevelopmentUser> Users => [.. _users.Values.OrderBy(u => u.Name, StringComparer.OrdinalIgnoreCase)];

    /// <summary>Whether a signing key is configured (locally: after the first <c>dotnet user-jwts create</c>).</summary>
    public bool CanMint => SigningKey() is not null;

    public string Mint(DevelopmentUser user)
    {
        var parameters = bearer.Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;
        var key = SigningKey() ?? throw new InvalidOperationException("No bearer signing key is configured: run `dotnet user-jwts create --project api` once.");
        _users[user.UserId] = user;
        var claims = new List<Claim> { new("sub", user.UserId), new("name", user.Name), new("unique_name", user.Name) };
        if (user.Email is { Length: > 0 } email)
            claims.AddRange([new Claim("email", email), new Claim("email_verified", "true", ClaimValueTypes.Boolean)]);
        // Token lifetimes are checked against the wall clock by the bearer handler, so they are minted on it too.
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = parameters.ValidIssuer ?? parameters.ValidIssuers?.FirstOrDefault(),
            Audience = parameters.ValidAudience ?? parameters.ValidAudiences?.FirstOrDefault(),
            Subject = new ClaimsIdentity(claims),
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now,
            Expires = now.Add(options.Value.SessionLifetime),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }

    private SymmetricSecurityKey? SigningKey()
    {
        var parameters = bearer.Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;
        return parameters.IssuerSigningKey as SymmetricSecurityKey
            ?? parameters.IssuerSigningKeys?.OfType<SymmetricSecurityKey>().FirstOrDefault();
    }
}

public sealed record DevelopmentUser(string UserId, string Name, string? Email);
