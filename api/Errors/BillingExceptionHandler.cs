using System.Text.Json;
using Billing.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Errors;

/// <summary>
/// The one place domain errors and unreadable requests become RFC 9457 problem details (STYLE.md habit 6).
/// Anything else is a bug and stays a 500 from the default handler.
/// </summary>
public sealed class BillingExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
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
        return await problems.TryWriteAsync(new() { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails FromDomain(BillingException e)
    {
        var status = e.Kind switch
        {
            BillingErrorKind.NotFound => StatusCodes.Status404NotFound,
            BillingErrorKind.Forbidden => StatusCodes.Status403Forbidden,
            BillingErrorKind.Conflict => StatusCodes.Status409Conflict,
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

    /// <summary>Malformed JSON, a wrong type or a missing body: name the JSON path at fault.</summary>
    private static ValidationProblemDetails FromUnreadableRequest(BadHttpRequestException e)
    {
        var json = e.InnerException as JsonException;
        var field = json?.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
        var message = json is null ? e.Message : $"The value at '{field}' could not be read: {json.Message}";
        return new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = e.StatusCode,
            Title = "The request could not be read.",
            Extensions = { ["code"] = "request.unreadable" },
        };
    }
}
