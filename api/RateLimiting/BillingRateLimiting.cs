using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Billing.Errors;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Billing.Api.RateLimiting;

/// <summary>Settings of the REST API's rate limits (section <c>RateLimiting</c>).</summary>
public sealed class RateLimitingSettings
{
    public const string Section = "RateLimiting";

    /// <summary>Requests one caller (token <c>sub</c>, or the client address when anonymous) may make per window.</summary>
    [Range(1, 10_000_000)]
    public int PermitsPerCaller { get; set; } = 600;

    /// <summary>Requests per window that one tenant's own members (and app owners) make to it, together.</summary>
    [Range(1, 10_000_000)]
    public int PermitsPerTenant { get; set; } = 3000;

    /// <summary>The fixed window the permits refill in.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The REST API's rate limits, on ASP.NET Core's built-in limiters. Two budgets:
/// <list type="bullet">
/// <item><b>Per caller</b> (the token's <c>sub</c>, or the client address for anonymous calls), spent by every request
/// before anything else runs: one noisy caller, signed in or not, only ever exhausts its own budget.</item>
/// <item><b>Per tenant</b> (the workspace or app in the path), so that many users of one tenant cannot starve the
/// others. It is spent only by requests that passed the tenant's authorization (answered below 400, or 409), so
/// outsiders, whose calls end in 401, 403 or 404, can never lock a tenant's own users out. A request is refused when
/// the budget is already spent; it is charged after it ran, so requests in flight together may overshoot by a few.</item>
/// </list>
/// Over a limit: 429 with <c>Retry-After</c> (seconds) and a problem detail. Health probes and the OpenAPI document are
/// not limited.
/// </summary>
public static class BillingRateLimiting
{
    public static IServiceCollection AddBillingRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<RateLimitingSettings>().BindConfiguration(RateLimitingSettings.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingSettings>>((o, settings) =>
        {
            var s = settings.Value;
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => IsExempt(http)
                ? RateLimitPartition.GetNoLimiter("")
                : RateLimitPartition.GetFixedWindowLimiter("caller:" + CallerKey(http), _ => FixedWindow(s.PermitsPerCaller, s.Window)));
            o.OnRejected = (context, _) => new ValueTask(WriteRejectionAsync(context.HttpContext, context.Lease, s.Window));
        });
        services.AddSingleton<TenantBudgets>();
        return services;
    }

    /// <summary>After authorization: holds each tenant to its budget, spent only by its authorized callers.</summary>
    public static IApplicationBuilder UseTenantRateLimits(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            if (IsExempt(http) || TenantKey(http) is not { } tenant)
            {
                await next(http);
                return;
            }

            var budgets = http.RequestServices.GetRequiredService<TenantBudgets>();
            using (var check = budgets.Limiter.AttemptAcquire(tenant, 0))
            {
                if (!check.IsAcquired)
                {
                    await WriteRejectionAsync(http, check, budgets.Window);
                    return;
                }
            }

            var authorized = false;
            try
            {
                await next(http);
                authorized = http.Response.StatusCode is < 400 or StatusCodes.Status409Conflict;
            }
            catch (BillingException e) when (e.Kind is BillingErrorKind.Conflict or BillingErrorKind.TooManyRequests)
            {
                authorized = true; // refused by the tenant's own state: the caller got that far
                throw;
            }
            finally
            {
                if (authorized)
                    budgets.Limiter.AttemptAcquire(tenant, 1).Dispose();
            }
        });

    private static async Task WriteRejectionAsync(HttpContext http, RateLimitLease lease, TimeSpan window)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : window;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new()
        {
            HttpContext = http,
            ProblemDetails = new()
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests; retry after the time in the Retry-After header.",
                Type = "https://billing.local/problems/rate-limited",
                Extensions = { ["code"] = "rate-limited" },
            },
        });
    }

    private static FixedWindowRateLimiterOptions FixedWindow(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

    private static bool IsExempt(HttpContext http) =>
        http.Request.Path.StartsWithSegments("/health") || http.Request.Path.StartsWithSegments("/openapi");

    private static string CallerKey(HttpContext http) =>
        http.User.FindFirst("sub")?.Value is { Length: > 0 } sub ? "user:" + sub : "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    /// <summary>The tenant a request is aimed at, from the route (matched before this middleware runs).</summary>
    private static string? TenantKey(HttpContext http) =>
        http.GetRouteValue("workspaceId") is string workspace ? "ws:" + workspace
        : http.GetRouteValue("appId") is string app ? "app:" + app
        : null;

    /// <summary>One fixed window per tenant; partitions of idle tenants are dropped by the limiter itself.</summary>
    private sealed class TenantBudgets(IOptions<RateLimitingSettings> settings) : IDisposable
    {
        public TimeSpan Window => settings.Value.Window;

        public PartitionedRateLimiter<string> Limiter { get; } = PartitionedRateLimiter.Create<string, string>(tenant =>
            RateLimitPartition.GetFixedWindowLimiter(tenant, _ => FixedWindow(settings.Value.PermitsPerTenant, settings.Value.Window)));

        public void Dispose() => Limiter.Dispose();
    }
}
