using Azure.Data.Tables;
using Billing.Notifications.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Billing.Notifications;

public static class NotificationsHosting
{
    /// <summary>
    /// The email outbox (E1-E4): the <c>Outbox</c> table, the mail transport chosen by configuration and the sink grains
    /// publish to. Registered with TryAdd, so a test that records events (or brings its own transport) registers first.
    /// </summary>
    public static IServiceCollection AddBillingNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NotificationOptions>, Validator>();
        services.AddSingleton(sp => new OutboxTable(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<IOptions<Orleans.Configuration.ClusterOptions>>().Value.ServiceId));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<OutboxTable>());
        services.TryAddSingleton<IMailTransport, ConfiguredMailTransport>();
        services.TryAddSingleton<IBillingEventSink, OutboxBillingEventSink>();
        return services;
    }

    /// <summary>Names every wrong setting, so a misconfigured silo refuses to start with a useful message.</summary>
    private sealed class Validator : IValidateOptions<NotificationOptions>
    {
        public ValidateOptionsResult Validate(string? name, NotificationOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
