using Billing.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddBillingApi();

var app = builder.Build();
app.UseBillingApi();
app.MapBillingApi();
app.Run();
