using System.Security.Claims;
using Billing.Errors;
using Billing.Users;
using Microsoft.Extensions.Caching.Memory;

namespace Billing.Api.Workspaces;

/// <summary>
/// Records the caller's email address and name from the token's <c>email</c> and <c>name</c> claims into their
/// <see cref="IUserGrain"/>, so that the emails meant for them can be addressed. Each API process remembers what it
/// recorded for a user, so an unchanged profile costs no grain call (and the grain writes only on a change).
/// </summary>
public sealed partial class CallerProfiles(IClusterClient cluster, ILogger<CallerProfiles> logger) : IDisposable
{
    /// <summary>Users remembered per API process; older entries are evicted and at worst recorded once more.</summary>
    private const int RememberedUsers = 100_000;

    private readonly MemoryCache _recorded = new(new MemoryCacheOptions { SizeLimit = RememberedUsers });

    public async Task RecordAsync(ClaimsPrincipal user)
    {
        if (user.FindFirstValue("sub") is not { Length: > 0 } sub || user.FindFirstValue("email") is not { Length: > 0 } email)
            return;
        // A name claim that is not plain visible text (control characters, bidi overrides) is left out, not mailed.
        var name = user.FindFirstValue("name") is { } claimed && Billing.Text.Names.IsValid(claimed, UserLimits.MaxDisplayNameLength) ? claimed.Trim() : "";
        var profile = new UserProfile(email.Trim(), name);
        if (_recorded.TryGetValue(sub, out UserProfile? known) && known == profile)
            return;
        try
        {
            await cluster.User(sub).Record(profile);
        }
        catch (BillingException e) when (e.Kind == BillingErrorKind.Invalid)
        {
            // A token whose email is not an address we can mail: the request itself still goes on.
            LogUnusableProfile(e.Code);
        }
        _recorded.Set(sub, profile, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) });
    }

    public void Dispose() => _recorded.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "The caller's profile claims were not recorded ({Code})")]
    private partial void LogUnusableProfile(string code);
}

public static class CallerProfilesExtensions
{
    public static IServiceCollection AddCallerProfiles(this IServiceCollection services) => services.AddSingleton<CallerProfiles>();

    /// <summary>After authentication: every authenticated request may refresh the caller's recorded profile.</summary>
    public static IApplicationBuilder UseCallerProfiles(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.User.Identity?.IsAuthenticated == true)
                await context.RequestServices.GetRequiredService<CallerProfiles>().RecordAsync(context.User);
            await next(context);
        });
}
