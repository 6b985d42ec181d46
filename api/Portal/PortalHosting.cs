using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Billing.Api.Portal;

/// <summary>
/// The owner portal (Razor Pages under <c>api/Portal/Pages</c>, assets in <c>api/wwwroot</c>), served by the API host
/// under <c>/</c>. Its pages call the REST API over HTTP with the user's token (<see cref="PortalApiClient"/>).
/// </summary>
public static class PortalHosting
{
    public static WebApplicationBuilder AddBillingPortal(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(PortalOptions.Section);
        var options = section.Get<PortalOptions>() ?? new PortalOptions();
        options.DevelopmentSignIn ??= builder.Environment.IsDevelopment();
        if (options.DevelopmentSignIn == true && builder.Environment.IsProduction())
            throw new OptionsValidationException(PortalOptions.Section, typeof(PortalOptions),
                ["Portal:DevelopmentSignIn mints tokens for anyone: it cannot be on in Production."]);
        if (options.OpenIdConnect.Enabled && string.IsNullOrWhiteSpace(options.OpenIdConnect.ClientId))
            throw new OptionsValidationException(PortalOptions.Section, typeof(PortalOptions),
                ["Portal:OpenIdConnect:ClientId is required when Portal:OpenIdConnect:Authority is set."]);
        builder.Services.AddOptions<PortalOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart()
            .PostConfigure(o => o.DevelopmentSignIn = options.DevelopmentSignIn);

        builder.AddPortalAuthentication(options);
        builder.Services.AddSingleton(new PortalSecurityHeaders(Policy(options.OpenIdConnect.Authority)));
        builder.Services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Portal/Pages";
            o.Conventions.AuthorizeFolder("/", PortalAuthentication.Policy);
            o.Conventions.AllowAnonymousToPage("/SignIn");
        });
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "billing-portal-af";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<DevelopmentTokens>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, BrowserPageMatcherPolicy>());
        builder.Services.AddHttpClient<PortalApiClient>((sp, http) =>
        {
            http.BaseAddress = PortalApiClient.ResolveBaseAddress(sp.GetRequiredService<IServer>(), sp.GetRequiredService<IOptions<PortalOptions>>());
            http.Timeout = TimeSpan.FromSeconds(60);
        });
        return builder;
    }

    /// <summary>
    /// The portal's stylesheet, script and vendored chart library, before anything that needs a caller; and the
    /// browser-facing headers of every portal page: a strict Content-Security-Policy (scripts and styles from this
    /// origin only, nothing inline, no framing), no referrer leaking ids, no caching of pages holding account data.
    /// </summary>
    public static WebApplication UseBillingPortalAssets(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                if (http.GetEndpoint()?.Metadata.GetMetadata<PortalPageMetadata>() is not null)
                {
                    var headers = http.Response.Headers;
                    headers.ContentSecurityPolicy = http.RequestServices.GetRequiredService<PortalSecurityHeaders>().ContentSecurityPolicy;
                    headers.XFrameOptions = "DENY";
                    headers["Referrer-Policy"] = "same-origin";
                    headers.CacheControl = "no-store";
                }

                return Task.CompletedTask;
            });
            return next(http);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "public, max-age=3600",
        });
        return app;
    }

    /// <summary>The pages' policy; a sign-in form posts on to the OpenID Connect provider, so form-action names it.</summary>
    private static string Policy(string? signInAuthority) =>
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        $"form-action 'self'{(signInAuthority is { Length: > 0 } a ? " " + new Uri(a).GetLeftPart(UriPartial.Authority) : "")}; base-uri 'none'; frame-ancestors 'none'";

    public static WebApplication MapBillingPortal(this WebApplication app)
    {
        app.MapRazorPages().Add(endpoint => endpoint.Metadata.Add(PortalPageMetadata.Instance));
        return app;
    }
}

/// <summary>The Content-Security-Policy of the portal's pages, fixed at start-up.</summary>
public sealed record PortalSecurityHeaders(string ContentSecurityPolicy);
