using Azure;
using Azure.Data.Tables;

namespace Billing;

/// <summary>
/// Which exceptions of a storage request mean "failed, and maybe done": storage refused or could not be reached, the
/// request timed out, or the connection dropped after it was sent. Code that writes retries or settles these; anything
/// else is a bug and must not be mistaken for weather.
/// </summary>
public static class StorageFailures
{
    /// <summary>
    /// True for the SDK's and the transport's failures, and for Azure.Core's <see cref="AggregateException"/> when its
    /// retry policy gives up ("Retry failed after N tries"), which holds the attempts' own exceptions. Missing that one
    /// once let a silo's journal writer die on a storage outage and its decisions wait forever (found by the fault
    /// simulator, docs/reliability.md). A task cancelled by the SDK's network timeout counts; a caller's own cancellation
    /// is for the caller to tell apart (<paramref name="includeCancellation"/>).
    /// </summary>
    public static bool IsTransient(Exception exception, bool includeCancellation = true) => exception switch
    {
        RequestFailedException or TableTransactionFailedException or IOException or TimeoutException or HttpRequestException => true,
        OperationCanceledException => includeCancellation,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => IsTransient(e, includeCancellation: true)),
        _ => false,
    };
}
