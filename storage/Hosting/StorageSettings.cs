using System.ComponentModel.DataAnnotations;

namespace Billing.Storage.Hosting;

/// <summary>
/// The one storage setting of the system (<c>Storage:ConnectionString</c>): grain state, reminders, membership,
/// ledgers and usage records all live in this account, each provider in its own table.
/// </summary>
public sealed class StorageSettings
{
    public const string Section = "Storage";

    /// <summary>Default: Azurite on its standard loopback table port (10002), as <c>./run.sh</c> starts it.</summary>
    [Required(ErrorMessage = "Storage:ConnectionString is required (an Azure Storage connection string; 'UseDevelopmentStorage=true' for Azurite).")]
    public string ConnectionString { get; set; } = "UseDevelopmentStorage=true";
}
