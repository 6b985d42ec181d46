using System.ComponentModel.DataAnnotations;

namespace Billing.Api.Portal;

/// <summary>The owner portal's settings (section <c>Portal</c>), validated at start-up.</summary>
public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>
    /// Where the portal's pages call the REST API. Empty: this host's own first listening address (the portal and the
    /// API are one process, and pages go through the same endpoints, authorization and validation as any owner).
    /// </summary>
    public string? ApiBaseUrl { get; set; }

    /// <summary>
    /// The development sign-in page, which mints tokens for any user with the API's own bearer signing key (the
    /// <c>dotnet user-jwts</c> key locally). Defaults to on in the Development environment only; never in Production.
    /// </summary>
    public bool? DevelopmentSignIn { get; set; }

    /// <summary>Production sign-in: an OpenID Connect provider (the one that issues the API's bearer tokens).</summary>
    public OpenIdConnectSettings OpenIdConnect { get; set; } = new();

    /// <summary>How long a portal session lasts without activity.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "1.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}

public sealed class OpenIdConnectSettings
{
    /// <summary>The issuer, e.g. <c>https://login.microsoftonline.com/{tenant}/v2.0</c>. Empty: OpenID Connect is off.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>Keep it in a secret store (Key Vault in Azure).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The scope whose access token the API accepts (its audience), e.g. <c>api://billing-api/.default</c>.</summary>
    public string? ApiScope { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
