using Billing.Seats;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Billing.Tests.Cluster;

/// <summary>
/// The official grain storage provider splits a state over at most 15 binary properties of 64 KiB and refuses anything
/// larger (Azure's 1 MiB entity; Azurite would accept it). States must fit whatever their grain's own limits allow.
/// </summary>
public sealed class GrainStateSizeTests
{
    private const int ProviderMaxStateBytes = 15 * 64 * 1024;

    [Fact]
    public void The_largest_seat_state_the_seat_limits_allow_fits_in_one_grain_state_row_B5()
    {
        var state = new SeatState();
        for (var i = 0; i < SeatLimits.MaxTrackedAgents; i++)
            state.Agents[i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture).PadRight(SeatLimits.MaxAgentIdLength, 'a')] =
                new AgentSeat { Number = i, LoggedIn = true, LastAt = DateTimeOffset.UnixEpoch, LastMonth = 600 };
        for (var m = 0; m < SeatLimits.RetainedMonths; m++)
        {
            var month = new MonthSeats { Peak = SeatLimits.MaxTrackedAgents };
            for (var i = 0; i < SeatLimits.MaxTrackedAgents; i++)
            {
                month.LoggedIn.Add(i);
                month.Carried.Add(i);
            }

            state.Months[600 - m] = month;
        }

        for (var i = 0; i < SeatLimits.RecentEventIds; i++)
            state.RecentEventIds.Add(i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture).PadRight(SeatLimits.MaxEventIdLength, 'e'));

        // The serializer the silo gives the provider (BillingSiloExtensions.AddBillingGrains).
        using var services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(SeatState).Assembly)).BuildServiceProvider();
        var bytes = new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>()).Serialize(state).ToArray().Length;

        Assert.True(bytes <= ProviderMaxStateBytes, $"The largest seat state is {bytes} bytes; the provider stores at most {ProviderMaxStateBytes}.");
    }
}
