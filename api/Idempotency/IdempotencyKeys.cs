using System.Security.Cryptography;
using System.Text;
using Billing.Api.Auth;
using Billing.Errors;

namespace Billing.Api.Idempotency;

/// <summary>Marks an endpoint whose requests carry an <c>Idempotency-Key</c> (see <see cref="IdempotencyKeys.WithIdempotencyKey"/>).</summary>
/// <param name="Required">Money-moving calls must carry one; calls that only create something honour one when given.</param>
public sealed record IdempotencyKeyMetadata(bool Required);

/// <summary>
/// The <c>Idempotency-Key</c> contract of every POST that moves money: the same key and the same request replay the
/// first answer (with <c>Idempotent-Replayed: true</c>); the same key with another request is 422; while the first
/// request with the key is still running, 409. Keys are per caller (the token's <c>sub</c>).
/// </summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 200;

    /// <summary>
    /// Honours an <c>Idempotency-Key</c> on this endpoint as described on <see cref="IdempotencyKeys"/>. Money-moving
    /// calls require one (<paramref name="required"/>); calls that create something (a workspace, an app) accept one, so
    /// that a client retrying after a lost answer gets the first resource instead of a second.
    /// </summary>
    public static RouteHandlerBuilder WithIdempotencyKey(this RouteHandlerBuilder builder, bool required = true) =>
        builder.WithMetadata(new IdempotencyKeyMetadata(required)).AddEndpointFilter<IdempotencyFilter>();

    public static IServiceCollection AddIdempotencyKeys(this IServiceCollection services) => services.AddSingleton<IdempotencyStore>();

    /// <summary>Keeps the request body of idempotent endpoints readable after binding, so the filter can fingerprint the raw bytes.</summary>
    public static IApplicationBuilder UseIdempotencyKeys(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<IdempotencyKeyMetadata>() is not null)
                http.Request.EnableBuffering();
            await next(http);
        });

    /// <summary>The caller's key, or a 400 naming the header.</summary>
    public static string Require(HttpContext http)
    {
        var key = http.Request.Headers[Header].ToString();
        if (string.IsNullOrWhiteSpace(key) || key.Length > MaxKeyLength)
            throw BillingException.Invalid(Header, "idempotency-key.required", $"Money-moving calls carry an {Header} header of 1 to {MaxKeyLength} characters.");
        return key;
    }

    /// <summary>
    /// A stable id for what the caller's key asks for (<paramref name="prefix"/> + 32 hex digits): the grains dedupe on
    /// it, so even without the idempotency table a retried request finds the first payment or order.
    /// </summary>
    public static string DeriveId(HttpContext http, string prefix)
    {
        var key = Require(http);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{http.User.UserId()}\n{key}"));
        return prefix + Convert.ToHexStringLower(hash)[..32];
    }
}
