using Billing.Storage.Reminders;
using Microsoft.Extensions.DependencyInjection;

// Orleans' own convention: builder extensions live beside ISiloBuilder, so no extra using is needed to find them.
namespace Orleans.Hosting;

public static class AzureTableReminderExtensions
{
    /// <summary>
    /// Enables reminders on this silo, stored in an Azure table (<see cref="AzureTableReminderTable"/>). The options
    /// are validated when the silo starts: a silo without a connection string or with an invalid table name refuses
    /// to start, naming the setting.
    /// </summary>
    public static ISiloBuilder UseAzureTableReminderService(this ISiloBuilder builder, Action<AzureTableReminderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        builder.AddReminders();
        builder.Services.Configure(configure);
        builder.Services.AddSingleton<IReminderTable, AzureTableReminderTable>();
        builder.Services.AddSingleton<IConfigurationValidator, AzureTableReminderOptionsValidator>();
        return builder;
    }
}
