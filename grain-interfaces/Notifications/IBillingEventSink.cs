namespace Billing.Notifications;

/// <summary>
/// Where grains hand their <see cref="BillingEvent"/>s once the change they describe is durable. A silo service,
/// not a grain: producers call it from inside their own turn. The notifications module implements it with its
/// durable outbox; a call that returns means the event is accepted (E2: raising the same event id again is harmless).
/// </summary>
public interface IBillingEventSink
{
    Task Publish(BillingEvent billingEvent, CancellationToken cancellationToken = default);
}
