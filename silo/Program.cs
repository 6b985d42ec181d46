using Billing.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddBillingSilo();

var app = builder.Build();
app.MapBillingSilo();
app.Run();
