using Billing.Api.Operators;
using Billing.Errors;
using Billing.Notifications;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Notifications;

/// <summary>The email outbox as support staff see it (E3): what waits, what went out, what died, and a retry of the dead.</summary>
public static class NotificationsApi
{
    public static IEndpointRouteBuilder MapNotificationsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/operator/outbox").WithTags("Operators").RequireAuthorization(OperatorApi.Policy);
        group.MapGet("/", List).WithName("ListOutbox");
        group.MapPost("/{messageId}/retry", Retry).WithName("RetryOutboxMessage");
        return routes;
    }

    /// <summary>The messages in one status (<c>pending</c>, <c>sent</c> or <c>dead</c>), newest first, from every shard.</summary>
    private static async Task<Ok<IReadOnlyList<OutboxMessageView>>> List(string? status, int? limit, IClusterClient cluster)
    {
        if (!Enum.TryParse<OutboxStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(status, out _))
            throw BillingException.Invalid("status", "outbox.status.invalid", "The status is pending, sent, dead or unconfirmed.");
        var take = limit ?? 50;
        if (take is < 1 or > OutboxShards.MaxListLimit)
            throw BillingException.Invalid("limit", "outbox.limit.invalid", $"A page holds 1 to {OutboxShards.MaxListLimit} messages.");

        var shards = await Task.WhenAll(Enumerable.Range(0, OutboxShards.Count).Select(s => cluster.GetGrain<IOutboxGrain>(s).List(parsed, take)));
        IReadOnlyList<OutboxMessageView> page = [.. shards.SelectMany(s => s).OrderByDescending(m => m.CreatedAt).ThenBy(m => m.Id, StringComparer.Ordinal).Take(take)];
        return TypedResults.Ok(page);
    }

    /// <summary>Sends a dead message again with a fresh attempt budget: 404 for an unknown id, 409 when it is not dead.</summary>
    private static async Task<Ok<OutboxMessageView>> Retry(string messageId, IClusterClient cluster)
    {
        var shard = OutboxShards.OfMessage(messageId)
            ?? throw BillingException.NotFound("outbox.message.not-found", $"Outbox message '{messageId}' was not found.");
        return TypedResults.Ok(await cluster.GetGrain<IOutboxGrain>(shard).Retry(messageId));
    }
}
