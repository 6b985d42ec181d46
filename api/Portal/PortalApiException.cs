using System.Net;

namespace Billing.Api.Portal;

/// <summary>
/// The REST API refused a portal call. Carries the problem detail's readable parts, so a page shows the API's own
/// words (limits, "a previous payment is in progress") rather than a code.
/// </summary>
public sealed class PortalApiException(HttpStatusCode status, string? code, string message, IReadOnlyDictionary<string, string[]>? fieldErrors)
    : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public string? Code { get; } = code;

    /// <summary>Per-field messages of a 400 (the API names the field in <c>errors</c>).</summary>
    public IReadOnlyDictionary<string, string[]> FieldErrors { get; } = fieldErrors ?? new Dictionary<string, string[]>();

    public bool IsNotFound => Status == HttpStatusCode.NotFound;
}
