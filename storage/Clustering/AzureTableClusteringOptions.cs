using Billing.Storage.Shared;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace Billing.Storage.Clustering;

/// <summary>
/// Where the membership table lives. Silos (<see cref="AzureTableMembershipTable"/>) and clients
/// (<see cref="AzureTableGatewayListProvider"/>) of one cluster must point at the same table.
/// </summary>
public sealed class AzureTableClusteringOptions : AzureTableOptions
{
    public const string DefaultTableName = "Membership";

    /// <summary>The prefix the validator names settings with, e.g. <c>AzureTableClusteringOptions:ConnectionString</c>.</summary>
    public const string SettingPrefix = nameof(AzureTableClusteringOptions);

    public override string TableName { get; set; } = DefaultTableName;
}

/// <summary>Refuses to start a silo or client whose membership table is misconfigured, naming the faulty setting.</summary>
public sealed class AzureTableClusteringOptionsValidator(IOptions<AzureTableClusteringOptions> options) : IConfigurationValidator
{
    public void ValidateConfiguration() => ThrowIfInvalid(options.Value);

    /// <summary>Also called by the providers' constructors: the container may build them before validators run.</summary>
    public static void ThrowIfInvalid(AzureTableClusteringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems(AzureTableClusteringOptions.SettingPrefix).ToList();
        if (problems.Count > 0)
            throw new OrleansConfigurationException($"Invalid clustering table configuration: {string.Join(" ", problems)}");
    }
}
