using Billing.Storage.Shared;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace Billing.Storage.Reminders;

/// <summary>Where the reminder table lives (<see cref="AzureTableReminderTable"/>).</summary>
public sealed class AzureTableReminderOptions : AzureTableOptions
{
    public const string DefaultTableName = "Reminders";

    /// <summary>The prefix the validator names settings with, e.g. <c>AzureTableReminderOptions:ConnectionString</c>.</summary>
    public const string SettingPrefix = nameof(AzureTableReminderOptions);

    public override string TableName { get; set; } = DefaultTableName;
}

/// <summary>Refuses to start a silo whose reminder table is misconfigured, naming the faulty setting.</summary>
public sealed class AzureTableReminderOptionsValidator(IOptions<AzureTableReminderOptions> options) : IConfigurationValidator
{
    public void ValidateConfiguration() => ThrowIfInvalid(options.Value);

    /// <summary>Also called by the providers' constructors: the container may build them before validators run.</summary>
    public static void ThrowIfInvalid(AzureTableReminderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems(AzureTableReminderOptions.SettingPrefix).ToList();
        if (problems.Count > 0)
            throw new OrleansConfigurationException($"Invalid reminder table configuration: {string.Join(" ", problems)}");
    }
}
