using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Billing.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Errors;

/// <summary>
/// The one place domain errors and unreadable requests become RFC 9457 problem details (STYLE.md habit 6).
/// Anything else is a bug and stays a 500 from the default handler.
/// </summary>
public sealed partial class BillingExceptionHandler(IProblemDetailsService problems, TimeProvider time) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            BillingException e => FromDomain(e),
            BadHttpRequestException e => FromUnreadableRequest(e),
            _ => null,
        };
        if (problem is null)
            return false;

        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status400BadRequest;
        if (exception is BillingException { RetryAt: { } retryAt })
        {
            var seconds = Math.Max(1, (long)Math.Ceiling((retryAt - time.GetUtcNow()).TotalSeconds));
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            problem.Extensions["retryAt"] = retryAt;
        }
        return await problems.TryWriteAsync(new() { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails FromDomain(BillingException e)
    {
        var status = e.Kind switch
        {
            BillingErrorKind.NotFound => StatusCodes.Status404NotFound,
            BillingErrorKind.Forbidden => StatusCodes.Status403Forbidden,
            BillingErrorKind.Conflict => StatusCodes.Status409Conflict,
            BillingErrorKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
            _ => StatusCodes.Status400BadRequest,
        };
        var problem = e.Field is { } field
            ? new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [e.Message] })
            : new ProblemDetails();
        problem.Status = status;
        problem.Title = e.Message;
        problem.Type = $"https://billing.local/problems/{e.Code}";
        problem.Extensions["code"] = e.Code;
        return problem;
    }

    /// <summary>
    /// Malformed JSON, a wrong type or a missing body: name the JSON path or parameter at fault. The framework's own
    /// messages name .NET types (<c>Failed to bind parameter "Int32 limit"</c>, <c>could not be converted to
    /// System.Nullable`1[...]</c>); callers get the field and a message in the API's terms instead.
    /// </summary>
    private static ValidationProblemDetails FromUnreadableRequest(BadHttpRequestException e)
    {
        var json = e.InnerException as JsonException;
        // A body that cannot be read is the body's fault whatever parameter it was meant for; a query or route value
        // that cannot be bound is that parameter's.
        var parameter = json is null && !e.Message.Contains("body", StringComparison.OrdinalIgnoreCase) ? ParameterInMessage().Match(e.Message) : Match.Empty;
        var field = json?.Path is { Length: > 2 } path ? path.TrimStart('$', '.')
            : parameter.Success ? parameter.Groups["name"].Value
            : "body";
        var message = json is not null ? $"The value at '{field}' is missing, malformed or of the wrong type."
            : parameter.Success ? $"'{field}' is missing or not a valid value."
            : e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
                StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json).",
                _ => "The request body is missing or could not be read.",
            };
        return new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = e.StatusCode,
            Title = "The request could not be read.",
            Extensions = { ["code"] = "request.unreadable" },
        };
    }

    /// <summary>The parameter named in ASP.NET Core's binding messages: <c>parameter "Type name"</c>.</summary>
    [GeneratedRegex("""parameter "(?:[^"]*\s)?(?<name>[A-Za-z_][A-Za-z0-9_]*)"(?: |\.|$)""")]
    private static partial Regex ParameterInMessage();
}
