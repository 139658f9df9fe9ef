import * as React from "react";
import { cn } from "./cn";
import { inputClass } from "./input";

export function Select({ className, ...props }: React.SelectHTMLAttributes<HTMLSelectElement>) {
  return <select className={cn(inputClass, "h-9 pr-8", className)} {...props} />;
}
