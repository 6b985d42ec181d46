using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Seats;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Seats;

public sealed class SeatsApiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_member_reads_the_seats_of_a_month_and_an_outsider_gets_404_B5()
    {
        var (owner, appId) = await ContactCenterApp();
        var now = api.Clock.GetUtcNow();
        await api.Cluster.Client.GetGrain<ISeatGrain>(appId).Record(new AgentEvent("e1", "agent-1", now, IsLogin: true));

        var response = await owner.GetAsync($"/apps/{appId}/seats?year={now.Year}&month={now.Month}", Ct);
        var outsider = await api.ClientFor("stranger-" + Guid.NewGuid().ToString("N")).GetAsync($"/apps/{appId}/seats", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var usage = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(appId, usage.GetProperty("appId").GetString());
        Assert.Equal(1, usage.GetProperty("namedSeats").GetInt32());
        Assert.Equal(1, usage.GetProperty("concurrentSeats").GetInt32());
        Assert.Equal("Concurrent", usage.GetProperty("seatModel").GetString());
        Assert.Equal(HttpStatusCode.NotFound, outsider.StatusCode);
        Assert.Equal("application/problem+json", outsider.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Seats_answer_the_seat_model_the_owner_chose_last_B5()
    {
        var (owner, appId) = await ContactCenterApp();
        var now = api.Clock.GetUtcNow();
        await api.Cluster.Client.GetGrain<ISeatGrain>(appId).Record(new AgentEvent("e1", "agent-1", now, IsLogin: true));
        var seatsPath = $"/apps/{appId}/seats?year={now.Year}&month={now.Month}";
        var before = await owner.GetFromJsonAsync<JsonElement>(seatsPath, Ct); // the seat grain is active and has read the app

        var changed = await owner.PutAsJsonAsync($"/apps/{appId}/seat-model", new { seatModel = "Named" }, Ct);
        var app = await owner.GetFromJsonAsync<JsonElement>($"/apps/{appId}", Ct);
        var after = await owner.GetFromJsonAsync<JsonElement>(seatsPath, Ct);

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("Concurrent", before.GetProperty("seatModel").GetString());
        Assert.Equal("Named", app.GetProperty("seatModel").GetString());
        Assert.Equal("Named", after.GetProperty("seatModel").GetString());
        Assert.Equal((1, 1), (after.GetProperty("namedSeats").GetInt32(), after.GetProperty("concurrentSeats").GetInt32()));
    }

    [Theory]
    [InlineData("year=abc&month=11", "year")]
    [InlineData("year=1999&month=11", "year")]
    [InlineData("year=2026&month=13", "month")]
    [InlineData("year=2026&month=0", "month")]
    [InlineData("month=-1", "month")]
    public async Task A_bad_year_or_month_is_a_400_problem_naming_the_field_B5(string query, string field)
    {
        var (owner, appId) = await ContactCenterApp();

        var response = await owner.GetAsync($"/apps/{appId}/seats?{query}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    private async Task<(HttpClient Owner, string AppId)> ContactCenterApp()
    {
        var owner = api.ClientFor("owner-" + Guid.NewGuid().ToString("N"));
        var workspace = await (await owner.PostAsJsonAsync("/workspaces", new { name = "Contact center" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var created = await owner.PostAsJsonAsync($"/workspaces/{workspace.GetProperty("id").GetString()}/apps", new { name = "Voice desk", product = "ContactCenterAi", seatModel = "Concurrent" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (owner, (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!);
    }
}
