insert /* x */ into regions(code,name) -- y
values(?,?)