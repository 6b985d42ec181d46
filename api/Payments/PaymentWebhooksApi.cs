using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Billing.Api.Auth;
using Billing.Api.Idempotency;
using Billing.Api.Operators;
using Billing.Errors;
using Billing.Payments;
using Billing.Storage.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Billing.Api.Payments;

/// <summary>Section <c>Payments:Webhook</c> of the API: the secret the gateway signs its webhooks with.</summary>
public sealed class PaymentWebhookOptions
{
    public const string Section = "Payments:Webhook";

    /// <summary>Shared with the gateway; at least 16 characters. Without it the webhook endpoint answers 503.</summary>
    public string? Secret { get; set; }
}

public sealed record ClearWireRequest(decimal? AmountUsd);

public sealed record AdvanceClockRequest(int? Days, int? Hours);

public sealed record AdvanceClockResponse(string WorkspaceId, DateTimeOffset WorkspaceNow);

/// <summary>The gateway's event: <c>wire_transfer.cleared</c> names the app, the payment and the amount received.</summary>
public sealed record GatewayEvent(string? Id, string? Type, GatewayEventData? Data);

public sealed record GatewayEventData(string? AppId, string? PaymentId, decimal? AmountUsd);

/// <summary>
/// M2: wire transfers clear by the gateway's signed webhook or by an operator; operators also move sandbox test clocks.
/// </summary>
public static class PaymentWebhooksApi
{
    public const string WebhookEventsTable = RetainedTables.WebhookEvents;

    public static IServiceCollection AddPaymentWebhooks(this IServiceCollection services)
    {
        services.AddOptions<PaymentWebhookOptions>().BindConfiguration(PaymentWebhookOptions.Section)
            .Validate(o => o.Secret is null || o.Secret.Length >= 16, $"{PaymentWebhookOptions.Section}:Secret must be at least 16 characters.")
            .ValidateOnStart();
        return services;
    }

    public static IEndpointRouteBuilder MapPaymentWebhooksApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/webhooks/payments", Receive).WithTags("Webhooks").AllowAnonymous().WithName("PaymentWebhook");
        var operators = routes.MapGroup("/operator").WithTags("Operators").RequireAuthorization(OperatorApi.Policy);
        operators.MapPost("/apps/{appId}/payments/{paymentId}/clear", ClearWire).WithName("ClearWireTransfer").WithIdempotencyKey();
        operators.MapPost("/workspaces/{workspaceId}/test-clock/advance", AdvanceClock).WithName("AdvanceTestClock").WithIdempotencyKey();
        return routes;
    }

    /// <summary>
    /// Verifies the signature over the raw body (HMAC-SHA256, 5-minute tolerance), then applies the event once: an event
    /// id already handled answers 200 without effect, and clearing is idempotent in the payments grain anyway, so a
    /// crash between the two never loses or doubles a credit.
    /// </summary>
    private static async Task<IResult> Receive(HttpContext http, IClusterClient cluster, IOptions<PaymentWebhookOptions> options, TableServiceClient tables, TimeProvider time)
    {
        if (options.Value.Secret is not { } secret)
            return TypedResults.Problem(statusCode: 503, title: "Payment webhooks are not configured (Payments:Webhook:Secret).");
        // Anyone can post here: a call without a signature, or with a body larger than any gateway event, is refused
        // before a byte of its body is read.
        var signature = http.Request.Headers[WebhookSignature.Header].ToString();
        if (signature.Length is 0 or > 1024)
            return InvalidSignature();
        if (http.Request.ContentLength > MaxBodyBytes)
            return TooLarge();
        var body = await ReadBodyAsync(http.Request.Body, http.RequestAborted);
        if (body is null)
            return TooLarge();
        if (!WebhookSignature.IsValid(secret, signature, body, time.GetUtcNow()))
            return InvalidSignature();

        GatewayEvent? gatewayEvent;
        try
        {
            gatewayEvent = JsonSerializer.Deserialize<GatewayEvent>(body, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            throw BillingException.Invalid("body", "webhook.body.invalid", "The webhook body is not a gateway event.");
        }

        if (gatewayEvent?.Id is not { Length: > 0 and <= 200 } eventId)
            throw BillingException.Invalid("id", "webhook.id.missing", "A gateway event has an id.");
        var table = tables.GetTableClient(WebhookEventsTable);
        await table.CreateIfNotExistsAsync(http.RequestAborted);
        var rowKey = TableKeys.Bounded(eventId);
        if ((await table.GetEntityIfExistsAsync<TableEntity>(RetainedTables.WebhookPartition, rowKey, cancellationToken: http.RequestAborted)).HasValue)
            return TypedResults.Ok(new { received = true, duplicate = true });

        if (gatewayEvent.Type == "wire_transfer.cleared")
        {
            var data = gatewayEvent.Data ?? throw BillingException.Invalid("data", "webhook.data.missing", "A wire event names the app, the payment and the amount.");
            if (data.AppId is not { } appId || !AppIds.IsWellFormed(appId) || data.PaymentId is not { } paymentId || data.AmountUsd is not { } amount)
                throw BillingException.Invalid("data", "webhook.data.invalid", "A wire event names the app, the payment and the amount.");
            await cluster.GetGrain<IAppPaymentsGrain>(appId).ClearWireTransfer(paymentId, amount, $"webhook:{eventId}");
        }

        try
        {
            await table.AddEntityAsync(new TableEntity(RetainedTables.WebhookPartition, rowKey) { ["Type"] = gatewayEvent.Type, [RetainedTables.ReceivedAt] = time.GetUtcNow() }, http.RequestAborted);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Delivered twice at once: both applied the same idempotent change.
        }

        return TypedResults.Ok(new { received = true, duplicate = false });
    }

    /// <summary>The largest webhook body read: a gateway event is a few hundred bytes.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>The body, or null when it is longer than <see cref="MaxBodyBytes"/> (a chunked body has no length to check first).</summary>
    private static async Task<byte[]?> ReadBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxBodyBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
            read += n;
        return read > MaxBodyBytes ? null : buffer[..read];
    }

    private static ProblemHttpResult InvalidSignature() =>
        TypedResults.Problem(statusCode: 401, title: "The webhook signature is missing, wrong or outside the 5-minute tolerance.", extensions: new Dictionary<string, object?> { ["code"] = "webhook.signature.invalid" });

    private static ProblemHttpResult TooLarge() =>
        TypedResults.Problem(statusCode: 413, title: $"A webhook body is at most {MaxBodyBytes / 1024} KB.", extensions: new Dictionary<string, object?> { ["code"] = "webhook.body.too-large" });

    /// <summary>M2: an operator confirms that a wire transfer arrived; its credits load.</summary>
    private static async Task<Ok<PaymentView>> ClearWire(string appId, string paymentId, ClearWireRequest request, HttpContext http, IClusterClient cluster)
    {
        AppIds.ThrowIfMalformed(appId);
        var amount = request.AmountUsd ?? throw BillingException.Invalid("amountUsd", "wire.amount.missing", "Give the amount received.");
        return TypedResults.Ok(await cluster.GetGrain<IAppPaymentsGrain>(appId).ClearWireTransfer(paymentId, amount, $"operator:{http.User.UserId()}"));
    }

    /// <summary>Sandbox only: moves a workspace's test clock and runs what fell due (docs/payments.md).</summary>
    private static async Task<Ok<AdvanceClockResponse>> AdvanceClock(string workspaceId, AdvanceClockRequest request, IClusterClient cluster)
    {
        WorkspaceIds.ThrowIfMalformed(workspaceId);
        // Checked before any arithmetic: TimeSpan.FromDays(int.MaxValue) overflows.
        const int maxDays = 400; // the test clock grain's own bound on one advance
        if (request.Days is < 0 or > maxDays)
            throw BillingException.Invalid("days", "test-clock.days.invalid", $"'days' is 0 to {maxDays}.");
        if (request.Hours is < 0 or > maxDays * 24)
            throw BillingException.Invalid("hours", "test-clock.hours.invalid", $"'hours' is 0 to {maxDays * 24}.");
        var by = TimeSpan.FromDays(request.Days ?? 0) + TimeSpan.FromHours(request.Hours ?? 0);
        var now = await cluster.GetGrain<ITestClockGrain>(workspaceId).Advance(by);
        return TypedResults.Ok(new AdvanceClockResponse(workspaceId, now));
    }
}
