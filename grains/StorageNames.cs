namespace Billing;

/// <summary>Names of the grain storage providers grains persist through; the silo registers each one.</summary>
public static class StorageNames
{
    /// <summary>The Azure Table grain storage that holds all billing grain state.</summary>
    public const string Billing = "billing";
}
