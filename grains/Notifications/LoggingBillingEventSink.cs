using Microsoft.Extensions.Logging;

namespace Billing.Notifications;

/// <summary>
/// The sink a silo has until the notifications module's outbox is registered in its place: it logs each event, so
/// that producers can be built and run before email delivery exists. It delivers nothing.
/// </summary>
public sealed partial class LoggingBillingEventSink(ILogger<LoggingBillingEventSink> logger) : IBillingEventSink
{
    public Task Publish(BillingEvent billingEvent, CancellationToken cancellationToken = default)
    {
        LogRaised(billingEvent.GetType().Name, billingEvent.EventId, billingEvent.WorkspaceId);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Billing event {Type} {EventId} raised in workspace {WorkspaceId} (no outbox registered)")]
    private partial void LogRaised(string type, string eventId, string workspaceId);
}
