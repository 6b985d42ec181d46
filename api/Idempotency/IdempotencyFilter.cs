using System.Security.Cryptography;
using System.Text;
using Billing.Api.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Idempotency;

/// <summary>The endpoint filter behind <see cref="IdempotencyKeys.WithIdempotencyKey"/>.</summary>
public sealed class IdempotencyFilter(IdempotencyStore store) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.GetEndpoint()?.Metadata.GetMetadata<IdempotencyKeyMetadata>() is { Required: false }
            && !http.Request.Headers.ContainsKey(IdempotencyKeys.Header))
            return await next(context);
        var key = IdempotencyKeys.Require(http);
        var caller = http.User.UserId();
        var fingerprint = await FingerprintAsync(http.Request);
        var (outcome, stored) = await store.BeginAsync(caller, key, fingerprint, http.RequestAborted);
        switch (outcome)
        {
            case IdempotencyBegin.Mismatch:
                return Problem(StatusCodes.Status422UnprocessableEntity, "idempotency-key.reused", $"This {IdempotencyKeys.Header} was used with another request.");
            case IdempotencyBegin.InFlight:
                return Problem(StatusCodes.Status409Conflict, "idempotency-key.in-flight", $"The first request with this {IdempotencyKeys.Header} is still being processed; retry later.");
            case IdempotencyBegin.Replay:
                http.Response.StatusCode = stored!.Status;
                http.Response.ContentType = stored.ContentType;
                if (stored.Location is not null)
                    http.Response.Headers.Location = stored.Location;
                http.Response.Headers[IdempotencyKeys.ReplayedHeader] = "true";
                await http.Response.Body.WriteAsync(stored.Body, http.RequestAborted);
                return Results.Empty;
        }

        // Run the request with its answer captured, so that exactly these bytes can be replayed.
        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        try
        {
            var result = await next(context);
            http.Response.Body = buffer;
            if (result is IResult answer)
                await answer.ExecuteAsync(http);
            else if (result is not null)
                await http.Response.WriteAsJsonAsync(result, result.GetType(), http.RequestAborted);
        }
        catch
        {
            // A failed request (a problem detail from the exception handler) is not an answer to replay: the key is freed.
            http.Response.Body = original;
            await store.AbandonAsync(caller, key);
            throw;
        }
        finally
        {
            http.Response.Body = original;
        }

        var body = buffer.ToArray();
        if (http.Response.StatusCode >= 500)
            await store.AbandonAsync(caller, key);
        else
            await store.CompleteAsync(caller, key, fingerprint, new StoredResponse(http.Response.StatusCode, http.Response.ContentType, http.Response.Headers.Location.ToString() is { Length: > 0 } l ? l : null, body), http.RequestAborted);
        await original.WriteAsync(body, http.RequestAborted);
        return Results.Empty;
    }

    /// <summary>The method, path and raw body: "the same request". The body is buffered by <see cref="IdempotencyKeys.UseIdempotencyKeys"/>.</summary>
    private static async Task<string> FingerprintAsync(HttpRequest request)
    {
        using var body = new MemoryStream();
        if (request.Body.CanSeek)
        {
            request.Body.Position = 0;
            await request.Body.CopyToAsync(body);
            request.Body.Position = 0;
        }

        return Fingerprint(request.Method, request.Path, body.ToArray());
    }

    /// <summary>SHA-256 of method, path and body, in hex.</summary>
    public static string Fingerprint(string method, string path, byte[] body)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{method} {path}\n"));
        sha.AppendData(body);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static ProblemHttpResult Problem(int status, string code, string title) =>
        TypedResults.Problem(statusCode: status, title: title, type: $"https://billing.local/problems/{code}", extensions: new Dictionary<string, object?> { ["code"] = code });
}
